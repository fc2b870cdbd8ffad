// `vsd`: the daemon and its subcommands. Returns an exit code; only bin/ calls process.exit.
import { parseArgs } from 'node:util';
import { loadConfigFile } from '../model/config.ts';
import { isVsdError, VsdError } from '../model/errors.ts';
import { createLogger } from '../daemon/logger.ts';
import { preflight } from '../daemon/preflight.ts';
import { runUntilSignal } from '../daemon/run.ts';
import { controlTarget, diffCommand, reloadCommand, saveCommand } from './vsd-control.ts';
import { demoConfig, demoToken, startDemoBackend } from './demo.ts';
import { agentMain } from './agent.ts';

const USAGE = `usage: vsd <command> [options]

commands:
  start --config FILE   run the director in the foreground (SIGHUP reloads FILE, SIGTERM stops gracefully)
  check --config FILE   validate a config file and print any errors
  reload [--force]      make the running daemon re-read its config file; --force applies a file that
                        removes every service or more than reload_max_removed of them
  diff [--json]         the runtime changes (vsadm, API) the daemon keeps over its config file
  save [--output FILE]  the running config as a config file; over the daemon's own file, the
                        runtime changes become part of it
                        (reload, diff, save reach the daemon by --socket PATH, --config FILE's
                        control.socket, or --url URL)
  agent [--port N] [--formula F]
                        on a real server: answer agent checks with a weight from its load (see docs/health.md)
  demo [--port N] [--api-port M]
                        run an embedded demo: 3 local backends behind 127.0.0.1:N (default 8080),
                        the API and metrics on 127.0.0.1:M (default 9180)
  help                  show this text
`;

type Out = (line: string) => void;

function printError(err: unknown, err_: Out): void {
  if (isVsdError(err)) {
    err_(`vsd: ${err.code}: ${err.message}`);
    for (const line of err.details.length > 1 ? err.details : []) err_(`  ${line}`);
  } else {
    err_(`vsd: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  }
}

function requireConfig(values: { config?: string | undefined }, command: string): string {
  if (!values.config) throw new VsdError('VSD_ERR_USAGE', `${command} needs --config FILE`);
  return values.config;
}

export async function main(
  argv: readonly string[],
  out: Out = console.log,
  err: Out = console.error,
): Promise<number> {
  // `vsd agent` has options of its own.
  if (argv[0] === 'agent') return agentMain(argv.slice(1), { out, err });
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        config: { type: 'string', short: 'c' },
        port: { type: 'string', short: 'p' },
        'api-port': { type: 'string' },
        socket: { type: 'string' },
        url: { type: 'string' },
        force: { type: 'boolean' },
        json: { type: 'boolean' },
        output: { type: 'string', short: 'o' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (e) {
    err(`vsd: VSD_ERR_USAGE: ${(e as Error).message}`);
    err(USAGE);
    return 2;
  }
  const [command = 'help', ...rest] = parsed.positionals;
  const { values } = parsed;
  if (values.help || command === 'help') {
    out(USAGE);
    return 0;
  }
  if (rest.length > 0) {
    err(`vsd: VSD_ERR_USAGE: unexpected argument "${rest[0]}"`);
    return 2;
  }
  try {
    switch (command) {
      case 'check': {
        const file = requireConfig(values, 'check');
        const config = await loadConfigFile(file);
        await preflight(config, file);
        out(`${file}: ok (${config.virtual_services.length} virtual service(s))`);
        return 0;
      }
      case 'start': {
        const path = requireConfig(values, 'start');
        const config = await loadConfigFile(path);
        await runUntilSignal(config, createLogger(config.log_level), { configPath: path });
        return 0;
      }
      case 'reload':
        return await reloadCommand(await controlTarget(values), values.force === true, out);
      case 'diff':
        return await diffCommand(await controlTarget(values), values.json === true, out);
      case 'save':
        return await saveCommand(await controlTarget(values), values.output, out);
      case 'demo':
        return await runDemo(values.port, values['api-port'], err);
      default:
        err(`vsd: VSD_ERR_USAGE: unknown command "${command}"`);
        err(USAGE);
        return 2;
    }
  } catch (e) {
    printError(e, err);
    return isVsdError(e, 'VSD_ERR_USAGE') ? 2 : 1;
  }
}

function portOption(text: string | undefined, name: string, fallback: number): number {
  const port = text === undefined ? fallback : Number(text);
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new VsdError('VSD_ERR_USAGE', `${name}: ${JSON.stringify(text)} is not a port (1-65535)`);
  return port;
}

async function runDemo(
  portText: string | undefined,
  apiPortText: string | undefined,
  err: Out,
): Promise<number> {
  const port = portOption(portText, '--port', 8080);
  const apiPort = portOption(apiPortText, '--api-port', 9180);
  const backends = await Promise.all(['alpha', 'beta', 'gamma'].map((name) => startDemoBackend(name, 0)));
  const token = demoToken();
  const config = demoConfig(
    port,
    backends.map((b) => b.port),
    apiPort,
    token,
  );
  err(
    `vsd demo: wrr over ${backends.map((b) => `${b.name} (127.0.0.1:${b.port})`).join(', ')} with weights 3:2:1`,
  );
  err(`vsd demo: try   for i in 1 2 3 4 5 6; do curl -s http://127.0.0.1:${port}/; done   (Ctrl-C stops)`);
  err(`vsd demo: API token (as powerful as root, new each run): ${token}`);
  err(`vsd demo: dashboard at http://127.0.0.1:${apiPort}/ (log in with the token)`);
  err(
    `vsd demo: API and metrics: curl -H "Authorization: Bearer ${token}" http://127.0.0.1:${apiPort}/api/v1/services (and /metrics)`,
  );
  await runUntilSignal(config, createLogger('info'), {
    onStop: async () => {
      await Promise.all(backends.map((b) => new Promise((r) => b.server.close(r))));
    },
  });
  return 0;
}
