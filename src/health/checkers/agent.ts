// agent check: connect to an agent (HAProxy agent-check protocol, e.g. `vsd agent`), optionally send
// a line, read one line back and parse it. up/ready/drain are healthy (drain with the state set, so
// new connections stop); down/fail/stopped/maint are not. An unreachable agent fails the check: in
// vsd every check is a health check (HAProxy instead ignores an unreachable agent).
import { connect } from 'node:net';
import { formatEndpoint } from '../../model/address.ts';
import type { AgentCheckConfig } from '../../model/health-schema.ts';
import { isMeaningful, parseAgentLine } from '../agent-line.ts';
import type { Checker, CheckResult, ProbeTarget } from '../types.ts';
import { ProbeRun, quote } from './common.ts';

/** Longest reply line read; HAProxy reads a single small buffer too. */
const MAX_LINE = 1024;

export class AgentChecker implements Checker {
  readonly #config: AgentCheckConfig;

  constructor(config: AgentCheckConfig) {
    this.#config = config;
  }

  check(target: ProbeTarget, signal: AbortSignal): Promise<CheckResult> {
    const { send, timeout } = this.#config;
    const run = new ProbeRun(signal, timeout, `agent ${formatEndpoint(target.address, target.port)}`);
    let connected = false;
    let buf = '';
    const stage = () => (connected ? 'reply' : 'connect');
    const answer = (line: string): void => {
      const reply = parseAgentLine(line);
      const got = `${quote(line.trim())} after ${run.elapsed()} ms`;
      if (!isMeaningful(reply)) return run.fail('malformed', `unrecognised reply ${got}`);
      const state = reply.state ?? 'up';
      const why = reply.reason ? ` (${reply.reason})` : '';
      const fields = {
        ...(reply.state === undefined ? {} : { state: reply.state }),
        ...(reply.weight === undefined ? {} : { weight: reply.weight }),
        ...(reply.weightPercent === undefined ? {} : { weightPercent: reply.weightPercent }),
      };
      if (state === 'up' || state === 'drain') run.pass(`${got}${why}`, fields);
      else run.fail('agent-state', `${got}${why}`, fields);
    };
    run.onStop(() =>
      run.failStopped(`${connected ? 'waiting for a reply: ' : 'connect '}${run.stopped()}`, {
        stage: stage(),
      }),
    );
    if (run.settled) return run.result;
    const socket = connect({ host: target.address, port: target.port });
    run.onSettle(() => socket.destroy());
    socket.on('error', (err) => run.failWith(err, connected ? '' : 'connect ', { stage: stage() }));
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
        run.fail(
          'malformed',
          `reply longer than ${MAX_LINE} bytes without a newline after ${run.elapsed()} ms`,
        );
    });
    // HAProxy accepts a reply ended by the connection closing instead of a newline.
    socket.on('end', () =>
      buf.trim() === ''
        ? run.fail('closed', `closed without a reply after ${run.elapsed()} ms`, { stage: 'reply' })
        : answer(buf),
    );
    socket.on('close', () => run.fail('closed', `closed after ${run.elapsed()} ms`, { stage: stage() }));
    return run.result;
  }
}
