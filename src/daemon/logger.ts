// Structured logs (JSON lines, pino) on stdout.
import { pino, type Logger } from 'pino';

export type { Logger };

export function createLogger(level: string = 'info'): Logger {
  return pino({ level, base: { name: 'vsd' }, timestamp: pino.stdTimeFunctions.isoTime });
}
