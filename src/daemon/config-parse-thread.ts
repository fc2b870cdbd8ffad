// The worker-thread side of config-parse.ts: parses and validates one config text and posts the
// result back, so a big file's YAML parse (about 1.4 s for 10,000 services) never stalls the
// daemon's event loop. It touches nothing but its input.
import { parentPort, workerData } from 'node:worker_threads';
import { parseConfigText } from '../model/config.ts';
import { isVsdError } from '../model/errors.ts';

const { text, source } = workerData as { text: string; source: string };
try {
  parentPort?.postMessage({ ok: true, config: parseConfigText(text, source) });
} catch (err) {
  parentPort?.postMessage(
    isVsdError(err)
      ? { ok: false, code: err.code, message: err.message, details: err.details }
      : { ok: false, code: 'VSD_ERR_CONFIG_PARSE', message: `${source}: ${String(err)}`, details: [] },
  );
}
