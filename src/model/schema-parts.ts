// Zod pieces shared by the config schemas: addresses, ports and durations, with error messages that
// name the bad value.
import { z } from 'zod';
import { canonicalAddress } from './address.ts';
import { parseDurationMs } from './duration.ts';

export const show = (v: unknown): string => (typeof v === 'string' ? JSON.stringify(v) : String(v));

/** An IPv4 or IPv6 address, as canonical text. */
export const address = z.string().transform((text, ctx) => {
  const canonical = canonicalAddress(text.trim());
  if (canonical === undefined) {
    ctx.addIssue({ code: 'custom', message: `${show(text)} is not an IPv4 or IPv6 address` });
    return z.NEVER;
  }
  return canonical;
});

const portIn = (min: number) =>
  z
    .number()
    .int()
    .refine((p) => p >= min && p <= 65535, {
      error: (iss) => `${show(iss.input)} is not a port (${min}-65535)`,
    });

export const port = portIn(1);
/** A virtual service port: 0 means every port of the address (persistent services only, as in ipvsadm). */
export const servicePort = portIn(0);

/** The longest timer Node keeps (2^31 - 1 ms, about 24.8 days); longer ones fire at once. */
export const MAX_DURATION_MS = 2 ** 31 - 1;

/** Seconds as a number, or text with a unit; the output is ms, at least `minMs` and at most MAX_DURATION_MS. */
export const duration = (what: string, minMs = 0) =>
  z.union([z.number(), z.string()]).transform((value, ctx) => {
    const ms = parseDurationMs(value);
    if (ms === undefined) {
      ctx.addIssue({
        code: 'custom',
        message: `${show(value)} is not a ${what} (seconds, or "500ms", "2s", "5m")`,
      });
      return z.NEVER;
    }
    if (ms > MAX_DURATION_MS) {
      ctx.addIssue({
        code: 'custom',
        message: `${show(value)} is longer than the longest ${what} (${MAX_DURATION_MS} ms, about 24.8 days)`,
      });
      return z.NEVER;
    }
    if (ms < minMs) {
      ctx.addIssue({
        code: 'custom',
        message: `${show(value)} is shorter than the shortest ${what} (${minMs} ms)`,
      });
      return z.NEVER;
    }
    return ms;
  });
