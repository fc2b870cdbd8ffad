// udp check: send one datagram from a connected socket. With `expect`, healthy when a reply contains
// it; without, healthy when no ICMP port-unreachable comes back within the timeout (a connected UDP
// socket on Linux reports that ICMP as ECONNREFUSED), so such a check always takes its full timeout.
import { createSocket } from 'node:dgram';
import { formatEndpoint, addressFamily } from '../../model/address.ts';
import type { UdpCheckConfig } from '../../model/health-schema.ts';
import type { Checker, CheckResult, ProbeTarget } from '../types.ts';
import { ProbeRun, describeError, quote } from './common.ts';

export class UdpChecker implements Checker {
  readonly #config: UdpCheckConfig;

  constructor(config: UdpCheckConfig) {
    this.#config = config;
  }

  check(target: ProbeTarget, signal: AbortSignal): Promise<CheckResult> {
    const { send, expect, timeout } = this.#config;
    const run = new ProbeRun(signal, timeout);
    const where = `udp ${formatEndpoint(target.address, target.port)}`;
    return new Promise((resolve) => {
      let settled = false;
      let sent = false;
      const socket = createSocket(addressFamily(target.address) === 6 ? 'udp6' : 'udp4');
      const finish = (ok: boolean, detail: string): void => {
        if (settled) return;
        settled = true;
        run.signal.removeEventListener('abort', onAbort);
        try {
          socket.close();
        } catch {
          // already closed
        }
        resolve(run.result(ok, `${where}: ${detail}`));
      };
      const onAbort = (): void => {
        if (run.timedOut && sent && expect === undefined)
          finish(
            true,
            `sent ${Buffer.byteLength(send)} bytes, no ICMP unreachable within ${run.elapsed()} ms`,
          );
        else if (run.timedOut && sent)
          finish(
            false,
            `sent ${Buffer.byteLength(send)} bytes, no reply with ${quote(expect ?? '')}: ${run.stopped()}`,
          );
        else finish(false, run.stopped());
      };
      if (run.signal.aborted) return onAbort();
      run.signal.addEventListener('abort', onAbort, { once: true });
      socket.on('error', (err) => {
        const what =
          (err as { code?: string }).code === 'ECONNREFUSED' ? 'port unreachable (ICMP)' : describeError(err);
        finish(false, `${what} after ${run.elapsed()} ms`);
      });
      socket.on('message', (msg) => {
        const text = msg.toString('utf8');
        if (expect === undefined) finish(true, `got a ${msg.length}-byte reply after ${run.elapsed()} ms`);
        else if (text.includes(expect)) finish(true, `got ${quote(expect)} after ${run.elapsed()} ms`);
        else finish(false, `reply lacks ${quote(expect)} (got ${quote(text)}) after ${run.elapsed()} ms`);
      });
      socket.connect(target.port, target.address, () => {
        if (settled) return;
        socket.send(send, (err) => {
          if (err) finish(false, `send ${describeError(err)} after ${run.elapsed()} ms`);
          else sent = true;
        });
      });
    });
  }
}
