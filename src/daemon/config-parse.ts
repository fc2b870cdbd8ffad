// Parses a config text for a reload without stalling the data path: a big file is parsed and
// validated in a worker thread (YAML parsing cannot be sliced), a small one in place, where a
// thread's start-up (tens of ms) would cost more than it saves.
import { Worker } from 'node:worker_threads';
import type { Config } from '../model/config-schema.ts';
import { parseConfigText } from '../model/config.ts';
import { VsdError, type ErrorCode } from '../model/errors.ts';

/** Texts from this size on are parsed off the event loop (about 1,000 services). */
export const OFF_THREAD_BYTES = 128 * 1024;

type Reply =
  { ok: true; config: Config } | { ok: false; code: ErrorCode; message: string; details: readonly string[] };

/** config-parse-thread.ts, or its compiled .js beside this file's copy in dist/. */
const THREAD = new URL(`./config-parse-thread${import.meta.url.slice(-3)}`, import.meta.url);

/** Parses `text` in a worker thread; the same config or the same coded error as parseConfigText. */
export async function parseConfigTextOffThread(text: string, source = 'config'): Promise<Config> {
  const worker = new Worker(THREAD, { workerData: { text, source } });
  try {
    const reply = await new Promise<Reply>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
      worker.once('exit', (code) => reject(new Error(`config parser thread exited with ${code}`)));
    });
    if (reply.ok) return reply.config;
    throw new VsdError(reply.code, reply.message, { details: reply.details });
  } finally {
    void worker.terminate();
  }
}

/** parseConfigText, off the event loop for texts of OFF_THREAD_BYTES or more. */
export async function parseConfigTextForReload(text: string, source = 'config'): Promise<Config> {
  if (Buffer.byteLength(text) < OFF_THREAD_BYTES) return parseConfigText(text, source);
  return parseConfigTextOffThread(text, source);
}
