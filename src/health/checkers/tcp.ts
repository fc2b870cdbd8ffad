// tcp check: connect (and optionally send a line and look for a substring in the reply).
import { connect } from 'node:net';
import { formatEndpoint } from '../../model/address.ts';
import type { TcpCheckConfig } from '../../model/health-schema.ts';
import type { Checker, CheckResult, ProbeTarget } from '../types.ts';
import { ProbeRun, describeError, quote } from './common.ts';

/** Most reply bytes kept while looking for `expect`: a check is not a download. */
const MAX_REPLY = 64 * 1024;

export class TcpChecker implements Checker {
  readonly #config: TcpCheckConfig;

  constructor(config: TcpCheckConfig) {
    this.#config = config;
  }

  check(target: ProbeTarget, signal: AbortSignal): Promise<CheckResult> {
    const { send, expect, timeout } = this.#config;
    const run = new ProbeRun(signal, timeout);
    const where = `tcp ${formatEndpoint(target.address, target.port)}`;
    return new Promise((resolve) => {
      let settled = false;
      let connected = false;
      let reply = '';
      const socket = connect({ host: target.address, port: target.port });
      const finish = (ok: boolean, detail: string): void => {
        if (settled) return;
        settled = true;
        run.signal.removeEventListener('abort', onAbort);
        socket.destroy();
        resolve(run.result(ok, `${where}: ${detail}`));
      };
      const onAbort = (): void => {
        const phase = !connected ? 'connect ' : expect !== undefined ? `waiting for ${quote(expect)}: ` : '';
        finish(false, `${phase}${run.stopped()}${reply ? ` (got ${quote(reply)})` : ''}`);
      };
      if (run.signal.aborted) return onAbort();
      run.signal.addEventListener('abort', onAbort, { once: true });
      socket.setNoDelay(true);
      socket.on('error', (err) =>
        finish(false, `${connected ? '' : 'connect '}${describeError(err)} after ${run.elapsed()} ms`),
      );
      socket.on('connect', () => {
        connected = true;
        const sending = send !== undefined && send !== '';
        if (expect !== undefined) {
          if (sending) socket.write(send);
        } else if (sending) {
          // Healthy once the bytes are handed to the kernel; destroying earlier could drop them.
          socket.write(send, () =>
            finish(true, `connected, sent ${Buffer.byteLength(send)} bytes after ${run.elapsed()} ms`),
          );
        } else {
          finish(true, `connected after ${run.elapsed()} ms`);
        }
      });
      socket.setEncoding('utf8');
      socket.on('data', (chunk: string) => {
        if (expect === undefined) return;
        reply = (reply + chunk).slice(-MAX_REPLY);
        if (reply.includes(expect)) finish(true, `got ${quote(expect)} after ${run.elapsed()} ms`);
      });
      socket.on('end', () => {
        if (expect !== undefined)
          finish(
            false,
            `closed by peer after ${run.elapsed()} ms without ${quote(expect)} (got ${quote(reply)})`,
          );
      });
      socket.on('close', () => finish(false, `closed after ${run.elapsed()} ms`));
    });
  }
}
