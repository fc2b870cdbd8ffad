// `vsd agent`: the command line of the load agent (src/daemon/agent.ts runs it until SIGTERM or
// SIGINT). Returns an exit code; only bin/ calls process.exit.
import { parseArgs } from 'node:util';
import { isVsdError, VsdError } from '../model/errors.ts';
import { LOAD_FORMULAS, parseFormula, runLoadAgent, type LoadAgentOptions } from '../daemon/agent.ts';

export const AGENT_USAGE = `usage: vsd agent [options]

Answers each TCP connection with one line in HAProxy's agent-check vocabulary (e.g. "up 63%"),
for vsd's "agent" health check or HAProxy's agent-check.

  --host ADDR              address to listen on (default 0.0.0.0; "::" for IPv6)
  --port N                 port (default 9777)
  --formula NAME           ${LOAD_FORMULAS.join(' | ')} (default load: 100 * (1 - loadavg1 / cpus))
  --min-weight N           lowest percentage answered, 1-100 (default 1)
  --max-connections N      connections at which the connections formula bottoms out (default 1000)
  --service-port N         count only connections to this local port
  --drain-file PATH        answer "drain" while PATH exists
  --down-file PATH         answer "down" while PATH exists
  --state up|drain|down    fixed state (default up)
`;

type Out = (line: string) => void;

export interface AgentMainOptions {
  readonly out?: Out;
  readonly err?: Out;
  /** Stops the agent like SIGTERM does (for tests and embedding). */
  readonly signal?: AbortSignal;
}

function integer(name: string, text: string | undefined, min: number, max: number): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new VsdError('VSD_ERR_USAGE', `--${name}: "${text}" is not a whole number from ${min} to ${max}`);
  return n;
}

export async function agentMain(argv: string[], options: AgentMainOptions = {}): Promise<number> {
  const out = options.out ?? console.log;
  const err = options.err ?? console.error;
  let settings: LoadAgentOptions;
  try {
    const { values } = parseArgs({
      args: argv,
      options: {
        host: { type: 'string' },
        port: { type: 'string', short: 'p' },
        formula: { type: 'string' },
        'min-weight': { type: 'string' },
        'max-connections': { type: 'string' },
        'service-port': { type: 'string' },
        'drain-file': { type: 'string' },
        'down-file': { type: 'string' },
        state: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    if (values.help) {
      out(AGENT_USAGE);
      return 0;
    }
    const state = values.state ?? 'up';
    if (state !== 'up' && state !== 'drain' && state !== 'down')
      throw new VsdError('VSD_ERR_USAGE', `--state: "${state}" is not one of up, drain, down`);
    const minPercent = integer('min-weight', values['min-weight'], 1, 100);
    const maxConnections = integer('max-connections', values['max-connections'], 1, 10_000_000);
    const servicePort = integer('service-port', values['service-port'], 1, 65535);
    settings = {
      host: values.host ?? '0.0.0.0',
      port: integer('port', values.port, 0, 65535) ?? 9777,
      formula: {
        ...(values.formula === undefined ? {} : { formula: parseFormula(values.formula) }),
        ...(minPercent === undefined ? {} : { minPercent }),
        ...(maxConnections === undefined ? {} : { maxConnections }),
      },
      state,
      ...(servicePort === undefined ? {} : { servicePort }),
      ...(values['drain-file'] === undefined ? {} : { drainFile: values['drain-file'] }),
      ...(values['down-file'] === undefined ? {} : { downFile: values['down-file'] }),
    };
  } catch (e) {
    if (isVsdError(e)) err(`vsd agent: ${e.code}: ${e.message}`);
    else err(`vsd agent: VSD_ERR_USAGE: ${(e as Error).message}`);
    if (!isVsdError(e) || e.code === 'VSD_ERR_USAGE') {
      err(AGENT_USAGE);
      return 2;
    }
    return 1;
  }
  try {
    await runLoadAgent(settings, {
      onListening: (endpoint, answer) => out(`vsd agent: listening on ${endpoint}, answering "${answer}"`),
      signal: options.signal,
    });
  } catch (e) {
    err(`vsd agent: ${isVsdError(e) ? `${e.code}: ` : ''}${(e as Error).message}`);
    return 1;
  }
  return 0;
}
