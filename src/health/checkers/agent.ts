// agent check: connect to an agent (HAProxy agent-check protocol, e.g. `vsd agent`), optionally send
// a line, read one line back and parse it. up/ready/drain are healthy (drain with the state set, so
// new connections stop); down/fail/stopped/maint are not. An unreachable agent fails the check: in
// vsd every check is a health check (HAProxy instead ignores an unreachable agent).
import { connect } from 'node:net';
import { formatEndpoint } from '../../model/address.ts';
import type { AgentCheckConfig } from '../../model/health-schema.ts';
import { isMeaningful, parseAgentLine } from '../agent-line.ts';
import type { Checker, CheckResult, ProbeTarget } from '../types.ts';
import { ProbeRun, describeError, quote } from './common.ts';

/** Longest reply line read; HAProxy reads a single small buffer too. */
const MAX_LINE = 1024;

export class AgentChecker implements Checker {
  readonly #config: AgentCheckConfig;

  constructor(config: AgentCheckConfig) {
    this.#config = config;
  }

  check(target: ProbeTarget, signal: AbortSignal): Promise<CheckResult> {
    const { send, timeout } = this.#config;
    const run = new ProbeRun(signal, timeout);
    const where = `agent ${formatEndpoint(target.address, target.port)}`;
    return new Promise((resolve) => {
      let settled = false;
      let connected = false;
      let buf = '';
      const socket = connect({ host: target.address, port: target.port });
      const finish = (result: CheckResult | [ok: boolean, detail: string]): void => {
        if (settled) return;
        settled = true;
        run.signal.removeEventListener('abort', onAbort);
        socket.destroy();
        resolve(Array.isArray(result) ? run.result(result[0], `${where}: ${result[1]}`) : result);
      };
      const answer = (line: string): void => {
        const reply = parseAgentLine(line);
        const got = `${quote(line.trim())} after ${run.elapsed()} ms`;
        if (!isMeaningful(reply)) return finish([false, `unrecognised reply ${got}`]);
        const state = reply.state ?? 'up';
        const ok = state === 'up' || state === 'drain';
        const why = reply.reason ? ` (${reply.reason})` : '';
        finish(
          run.result(ok, `${where}: ${got}${why}`, {
            ...(reply.state === undefined ? {} : { state: reply.state }),
            ...(reply.weight === undefined ? {} : { weight: reply.weight }),
            ...(reply.weightPercent === undefined ? {} : { weightPercent: reply.weightPercent }),
          }),
        );
      };
      const onAbort = (): void =>
        finish([false, `${connected ? 'waiting for a reply: ' : 'connect '}${run.stopped()}`]);
      if (run.signal.aborted) return onAbort();
      run.signal.addEventListener('abort', onAbort, { once: true });
      socket.on('error', (err) =>
        finish([false, `${connected ? '' : 'connect '}${describeError(err)} after ${run.elapsed()} ms`]),
      );
      socket.on('connect', () => {
        connected = true;
        if (send !== undefined && send !== '') socket.write(send);
      });
      socket.setEncoding('utf8');
      socket.on('data', (chunk: string) => {
        buf += chunk;
        const nl = buf.indexOf('\n');
        if (nl >= 0) answer(buf.slice(0, nl));
        else if (buf.length > MAX_LINE)
          finish([false, `reply longer than ${MAX_LINE} bytes without a newline after ${run.elapsed()} ms`]);
      });
      // HAProxy accepts a reply ended by the connection closing instead of a newline.
      socket.on('end', () =>
        buf.trim() === '' ? finish([false, `closed without a reply after ${run.elapsed()} ms`]) : answer(buf),
      );
      socket.on('close', () => finish([false, `closed after ${run.elapsed()} ms`]));
    });
  }
}
