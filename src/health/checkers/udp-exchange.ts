// One datagram out, replies judged as they come, on a connected socket so an ICMP port unreachable
// surfaces as ECONNREFUSED. Shared by the udp and dns checkers.
import { createSocket } from 'node:dgram';
import { addressFamily } from '../../model/address.ts';
import type { CheckResult, ProbeTarget } from '../types.ts';
import type { ProbeRun } from './common.ts';

export interface ExchangeHandlers {
  /** The probe was stopped (timeout or abort) before a verdict; `sent` says whether the datagram left. */
  readonly onStopped: (sent: boolean) => void;
  /** A reply arrived: pass or fail the run for a verdict, or return to wait for another. */
  readonly onReply: (msg: Buffer) => void;
}

export function udpExchange(
  target: ProbeTarget,
  run: ProbeRun,
  payload: Buffer | string,
  handlers: ExchangeHandlers,
): Promise<CheckResult> {
  let sent = false;
  run.onStop(() => handlers.onStopped(sent));
  if (run.settled) return run.result;
  const socket = createSocket(addressFamily(target.address) === 6 ? 'udp6' : 'udp4');
  run.onSettle(() => {
    try {
      socket.close();
    } catch {
      // already closed
    }
  });
  socket.on('error', (err) => {
    if ((err as { code?: string }).code === 'ECONNREFUSED')
      run.fail('refused', `port unreachable (ICMP) after ${run.elapsed()} ms`, { errorCode: 'ECONNREFUSED' });
    else run.failWith(err);
  });
  socket.on('message', (msg) => handlers.onReply(msg));
  socket.connect(target.port, target.address, () => {
    if (run.settled) return;
    socket.send(payload, (err) => {
      if (err) run.failWith(err, 'send ');
      else sent = true;
    });
  });
  return run.result;
}
