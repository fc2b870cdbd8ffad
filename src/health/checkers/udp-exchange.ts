// One datagram out, replies judged as they come, on a connected socket so an ICMP port unreachable
// surfaces as ECONNREFUSED. Shared by the udp and dns checkers.
import { createSocket } from 'node:dgram';
import { addressFamily } from '../../model/address.ts';
import type { CheckResult, ProbeTarget } from '../types.ts';
import { describeError, type ProbeRun } from './common.ts';

export type Finish = (ok: boolean, detail: string) => void;

export interface ExchangeHandlers {
  /** The probe was stopped (timeout or abort) before a verdict; `sent` says whether the datagram left. */
  readonly onStopped: (finish: Finish, sent: boolean) => void;
  /** A reply arrived: call finish to give the verdict, or return to wait for another. */
  readonly onReply: (msg: Buffer, finish: Finish) => void;
}

export function udpExchange(
  target: ProbeTarget,
  run: ProbeRun,
  where: string,
  payload: Buffer | string,
  handlers: ExchangeHandlers,
): Promise<CheckResult> {
  return new Promise((resolve) => {
    let settled = false;
    let sent = false;
    const socket = createSocket(addressFamily(target.address) === 6 ? 'udp6' : 'udp4');
    const finish: Finish = (ok, detail) => {
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
    const onAbort = (): void => handlers.onStopped(finish, sent);
    if (run.signal.aborted) return onAbort();
    run.signal.addEventListener('abort', onAbort, { once: true });
    socket.on('error', (err) => {
      const what =
        (err as { code?: string }).code === 'ECONNREFUSED' ? 'port unreachable (ICMP)' : describeError(err);
      finish(false, `${what} after ${run.elapsed()} ms`);
    });
    socket.on('message', (msg) => handlers.onReply(msg, finish));
    socket.connect(target.port, target.address, () => {
      if (settled) return;
      socket.send(payload, (err) => {
        if (err) finish(false, `send ${describeError(err)} after ${run.elapsed()} ms`);
        else sent = true;
      });
    });
  });
}
