// The one persistence table, the Director's, serving worker processes: a worker asks where the first
// attempt of a flow of a persistent TCP service goes (one IPC round trip); the template's connection
// count is held here under a ticket the worker releases when the flow ends, or that is released here
// when the worker dies.
import type { Clock } from '../../../model/clock.ts';
import type { Dest } from '../../../model/dest.ts';
import type { Flow } from '../../../model/flow.ts';
import type { PersistenceTemplate } from '../../../table/persistence.ts';
import type { DesiredState, ServiceState } from '../../../director/types.ts';
import { chooseDest, type PersistenceContext } from '../choose-dest.ts';

export class PersistenceHost {
  readonly #tickets = new Map<number, { worker: number; template: PersistenceTemplate }>();
  readonly #context: PersistenceContext & { state: DesiredState | undefined };
  #nextTicket = 1;

  constructor(clock: Clock) {
    this.#context = {
      state: undefined,
      get table() {
        if (!this.state) throw new Error('no state applied yet');
        return this.state.persistence;
      },
      get expireQuiescent() {
        return this.state?.expireQuiescentTemplate ?? true;
      },
      now: () => clock.now(),
    };
  }

  set state(state: DesiredState) {
    this.#context.state = state;
  }

  /** Where a worker's flow goes, and the ticket that holds its template (none without a template). */
  choose(
    worker: number,
    service: ServiceState | undefined,
    flow: Flow,
  ): { dest: Dest | undefined; ticket: number | undefined } {
    const choice = service && this.#context.state ? chooseDest(service, flow, this.#context) : undefined;
    let ticket: number | undefined;
    if (choice?.template) {
      ticket = this.#nextTicket++;
      this.#tickets.set(ticket, { worker, template: choice.template });
    }
    return { dest: choice?.dest, ticket };
  }

  /** The worker's flow ended. */
  release(ticket: number): void {
    const t = this.#tickets.get(ticket);
    this.#tickets.delete(ticket);
    if (t) this.#context.state?.persistence.release(t.template);
  }

  /** The worker died: every template it held is released. */
  releaseWorker(worker: number): void {
    for (const [ticket, t] of this.#tickets) {
      if (t.worker !== worker) continue;
      this.#context.state?.persistence.release(t.template);
      this.#tickets.delete(ticket);
    }
  }
}
