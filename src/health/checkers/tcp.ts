// tcp check: connect (and optionally send a line and look for a substring in the reply).
import { connect } from 'node:net';
import { formatEndpoint } from '../../model/address.ts';
import type { TcpCheckConfig } from '../../model/health-schema.ts';
import type { Checker, CheckResult, ProbeTarget } from '../types.ts';
import { ProbeRun, quote } from './common.ts';

/** Most reply bytes kept while looking for `expect`: a check is not a download. */
const MAX_REPLY = 64 * 1024;

export class TcpChecker implements Checker {
  readonly #config: TcpCheckConfig;

  constructor(config: TcpCheckConfig) {
    this.#config = config;
  }

  check(target: ProbeTarget, signal: AbortSignal): Promise<CheckResult> {
    const { send, expect, timeout } = this.#config;
    const run = new ProbeRun(signal, timeout, `tcp ${formatEndpoint(target.address, target.port)}`);
    let connected = false;
    let reply = '';
    run.onStop(() => {
      const phase = !connected ? 'connect ' : expect !== undefined ? `waiting for ${quote(expect)}: ` : '';
      const got = reply ? ` (got ${quote(reply)})` : '';
      run.failStopped(`${phase}${run.stopped()}${got}`, { stage: connected ? 'reply' : 'connect' });
    });
    if (run.settled) return run.result;
    const socket = connect({ host: target.address, port: target.port });
    run.onSettle(() => socket.destroy());
    socket.setNoDelay(true);
    socket.on('error', (err) =>
      run.failWith(err, connected ? '' : 'connect ', { stage: connected ? 'reply' : 'connect' }),
    );
    socket.on('connect', () => {
      connected = true;
      const sending = send !== undefined && send !== '';
      if (expect !== undefined) {
        if (sending) socket.write(send);
      } else if (sending) {
        // Healthy once the bytes are handed to the kernel; destroying earlier could drop them.
        socket.write(send, () =>
          run.pass(`connected, sent ${Buffer.byteLength(send)} bytes after ${run.elapsed()} ms`),
        );
      } else {
        run.pass(`connected after ${run.elapsed()} ms`);
      }
    });
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      if (expect === undefined) return;
      reply = (reply + chunk).slice(-MAX_REPLY);
      if (reply.includes(expect)) run.pass(`got ${quote(expect)} after ${run.elapsed()} ms`);
    });
    socket.on('end', () => {
      if (expect !== undefined)
        run.fail(
          reply === '' ? 'closed' : 'mismatch',
          `closed by peer after ${run.elapsed()} ms without ${quote(expect)} (got ${quote(reply)})`,
          { stage: 'reply' },
        );
    });
    socket.on('close', () =>
      run.fail('closed', `closed after ${run.elapsed()} ms`, { stage: connected ? 'reply' : 'connect' }),
    );
    return run.result;
  }
}
