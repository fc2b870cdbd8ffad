// A proxy worker process: accepts on every TCP virtual service with SO_REUSEPORT (the kernel spreads
// new connections over the workers) and relays them with the ordinary proxy engine. The primary sends
// desired state and the other workers' connection counts; this worker reports its own counts in
// batches, asks the primary's persistence table to place persistent flows, and answers reads of its
// counters and connection table. bin/vsd-worker.ts runs it and exits with its code when the primary
// goes away.
import type { Dest } from '../../../model/dest.ts';
import type { Flow } from '../../../model/flow.ts';
import { systemClock } from '../../../model/clock.ts';
import { isVsdError } from '../../../model/errors.ts';
import { PersistenceTable } from '../../../table/persistence.ts';
import { ProxyEngine } from '../engine.ts';
import type { PersistenceAuthority } from '../relay-context.ts';
import type { FromWorker, ToWorker, WireState } from './protocol.ts';
import { WorkerService } from './wire-state.ts';
import { REPORT_EVERY_MS } from './worker-counts.ts';

const ignore = () => undefined;
/** With a callback, a send to a primary that is already gone is not an 'error' event (a crash). */
const send = (m: FromWorker): void => {
  if (process.connected) process.send?.(m, undefined, undefined, ignore);
};

/**
 * Runs this process as a proxy worker, speaking to the primary over the IPC channel it was forked with.
 * Resolves with the exit code once the primary is gone.
 */
export function runWorker(): Promise<number> {
  const pending = new Map<number, (c: { dest: Dest; ticket: number } | undefined) => void>();
  let nextId = 1;
  const authority: PersistenceAuthority = {
    choose(service: string, flow: Flow) {
      const id = nextId++;
      return new Promise((resolve) => {
        pending.set(id, resolve);
        send({ t: 'choose', id, service, flow });
      });
    },
    release(ticket: number) {
      send({ t: 'release', ticket });
    },
  };

  const engine = new ProxyEngine({
    emit: (event) => send({ t: 'event', event }),
    reusePort: true,
    authority,
  });
  /** Every service this worker was ever given, by key: relays of a removed one still count on it. */
  const services = new Map<string, WorkerService>();
  const persistence = new PersistenceTable(); // unused for TCP here: the primary's table decides

  function apply(state: WireState): Promise<void> {
    const live = state.services.map((w) => {
      let s = services.get(w.key);
      if (s) s.update(w);
      else services.set(w.key, (s = new WorkerService(w, systemClock)));
      return s;
    });
    return engine.apply({
      services: live,
      timeouts: state.timeouts,
      expireQuiescentTemplate: state.expireQuiescentTemplate,
      expireNodestConn: state.expireNodestConn,
      persistence,
      kernel: state.kernel,
      otherServices: [],
    });
  }

  function report(): void {
    for (const s of services.values()) {
      if (!s.counts.dirty) continue;
      s.counts.dirty = false;
      send({
        t: 'counts',
        counts: { key: s.key, active: s.counts.ownActive, inactive: s.counts.ownInactive },
      });
    }
  }

  // Applies run one at a time, in the order the primary sent them.
  let applying: Promise<unknown> = Promise.resolve();

  process.on('message', (m: ToWorker) => {
    switch (m.t) {
      case 'apply':
        applying = applying.then(() =>
          apply(m.state).then(
            () => send({ t: 'applied', id: m.id, error: undefined }),
            (err: unknown) =>
              send({
                t: 'applied',
                id: m.id,
                error: {
                  code: isVsdError(err) ? err.code : undefined,
                  message: (err as Error).message,
                  details: isVsdError(err) ? err.details : [],
                },
              }),
          ),
        );
        break;
      case 'others':
        services.get(m.counts.key)?.counts.setOthers(m.counts.active, m.counts.inactive);
        break;
      case 'chosen': {
        const resolve = pending.get(m.id);
        pending.delete(m.id);
        const dest = m.dest && (services.get(m.service)?.dest(m.dest) ?? m.dest);
        resolve?.(dest && m.ticket !== undefined ? { dest, ticket: m.ticket } : undefined);
        break;
      }
      case 'counters':
        send({ t: 'counters', id: m.id, value: engine.counters() });
        break;
      case 'connections':
        send({ t: 'connections', id: m.id, value: engine.connections() });
        break;
      case 'zero':
        engine.zeroCounters(m.service);
        break;
      case 'close':
        clearInterval(reporter);
        void applying.then(() =>
          engine.close(m.graceMs).then(() => {
            report();
            send({ t: 'closed' });
            process.disconnect();
          }),
        );
        break;
    }
  });

  const reporter = setInterval(report, REPORT_EVERY_MS);
  send({ t: 'ready' });
  // Without the primary there is no Director: the caller stops at once rather than relay on stale state.
  return new Promise((resolve) => process.once('disconnect', () => resolve(0)));
}
