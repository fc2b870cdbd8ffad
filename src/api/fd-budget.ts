// The API shares the process's open-file limit with the data path and the health checks, so its
// HTTP connections are capped well below that limit: a flood of API connections can cost the API
// its own answers, never a proxied connection or a health probe.
import { readFileSync } from 'node:fs';

/** Of the process's descriptors, the HTTP API may hold at most this share. */
const API_SHARE = 1 / 8;
const MIN_API_CONNECTIONS = 8;

/** The soft "Max open files" of this process, or undefined where /proc does not say. */
export function openFileLimit(limitsText?: string): number | undefined {
  let text = limitsText;
  if (text === undefined) {
    try {
      text = readFileSync('/proc/self/limits', 'utf8');
    } catch {
      return undefined;
    }
  }
  const soft = /^Max open files\s+(\d+|unlimited)\s/m.exec(text)?.[1];
  return soft === undefined || soft === 'unlimited' ? undefined : Number(soft);
}

/** The HTTP connection cap: the configured one, lowered to the API's share of the open-file limit. */
export function apiConnectionCap(configured: number, fdLimit = openFileLimit()): number {
  if (fdLimit === undefined) return configured;
  return Math.min(configured, Math.max(MIN_API_CONNECTIONS, Math.floor(fdLimit * API_SHARE)));
}
