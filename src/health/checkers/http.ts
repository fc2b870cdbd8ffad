// http/https check: one request on a fresh connection, then the status, and when asked the body
// (substring, regex or sha256). node:http/https rather than fetch: fetch cannot set the Host header,
// and per-check SNI and certificate verification would need undici's Agent, which Node does not
// export; http.request takes host, servername and rejectUnauthorized per request.
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import { formatEndpoint } from '../../model/address.ts';
import { parseStatusRanges, statusMatches, type HttpCheckConfig } from '../../model/health-schema.ts';
import type { Checker, CheckResult, ProbeStage, ProbeTarget } from '../types.ts';
import { ProbeRun, errorCodeOf, quote } from './common.ts';

/** Largest body read for a body or digest check; a health page is small. */
export const MAX_BODY = 1024 * 1024;

type Phase = 'connect' | 'TLS handshake' | 'waiting for the status line' | 'reading the body';
const STAGES = {
  connect: 'connect',
  'TLS handshake': 'tls',
  'waiting for the status line': 'reply',
  'reading the body': 'body',
} as const satisfies Record<Phase, ProbeStage>;

/** Certificate and handshake errors read better as `self-signed certificate (DEPTH_ZERO_SELF_SIGNED_CERT)`. */
function describeTlsError(err: unknown): string {
  const e = err as { code?: unknown; message?: unknown };
  const message = typeof e.message === 'string' ? e.message.split(';')[0] : String(err);
  return typeof e.code === 'string' ? `${message} (${e.code})` : (message ?? String(err));
}

export class HttpChecker implements Checker {
  readonly #config: HttpCheckConfig;
  readonly #ranges: [number, number][];
  readonly #regex: RegExp | undefined;

  constructor(config: HttpCheckConfig) {
    this.#config = config;
    this.#ranges = parseStatusRanges(config.expect_status) ?? [[200, 299]];
    this.#regex = config.expect_body_regex === undefined ? undefined : new RegExp(config.expect_body_regex);
  }

  check(target: ProbeTarget, signal: AbortSignal): Promise<CheckResult> {
    const c = this.#config;
    const where = `${c.type} ${c.method} ${formatEndpoint(target.address, target.port)}${c.path}`;
    const run = new ProbeRun(signal, c.timeout, where);
    const wantBody =
      c.expect_body !== undefined || this.#regex !== undefined || c.expect_digest !== undefined;
    const hostHeader = c.host ?? formatEndpoint(target.address, target.port);
    const hostName = hostHeader.replace(/:\d+$/, '').replace(/^\[(.*)\]$/, '$1');
    const tls =
      c.type === 'https'
        ? {
            servername: c.sni ?? (isIP(hostName) === 0 ? hostName : ''),
            rejectUnauthorized: c.verify_certificate,
          }
        : {};
    let phase: Phase = 'connect';
    run.onStop(() => run.failStopped(`${run.stopped()} (${phase})`, { stage: STAGES[phase] }));
    if (run.settled) return run.result;
    const request = c.type === 'https' ? httpsRequest : httpRequest;
    // agent:false: a fresh connection per check, so a check sees what a new client would.
    const req = request({
      host: target.address,
      port: target.port,
      method: c.method,
      path: c.path,
      agent: false,
      headers: { host: hostHeader, 'user-agent': 'vsd-health-check', connection: 'close' },
      ...tls,
    });
    run.onSettle(() => req.destroy());
    req.on('error', (err) => {
      if (phase === 'TLS handshake')
        run.fail('tls', `TLS handshake failed: ${describeTlsError(err)} after ${run.elapsed()} ms`, {
          stage: 'tls',
          ...errorCodeOf(err),
        });
      else run.failWith(err, phase === 'connect' ? 'connect ' : '', { stage: STAGES[phase] });
    });
    req.on('socket', (socket) => {
      socket.on('error', () => undefined); // req's listener reports it; this keeps an early error from being unhandled
      socket.once('connect', () => {
        if (phase === 'connect') phase = c.type === 'https' ? 'TLS handshake' : 'waiting for the status line';
      });
      socket.once('secureConnect', () => {
        if (phase === 'TLS handshake') phase = 'waiting for the status line';
      });
    });
    req.on('response', (res: IncomingMessage) => {
      res.on('error', () => undefined);
      const status = res.statusCode ?? 0;
      const got = `status ${status}`;
      if (!statusMatches(this.#ranges, status)) {
        run.fail('status', `${got} after ${run.elapsed()} ms (expected ${c.expect_status})`, { status });
        return;
      }
      if (!wantBody) {
        run.pass(`${got} after ${run.elapsed()} ms`, { status });
        return;
      }
      phase = 'reading the body';
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_BODY)
          run.fail('body', `${got} but the body is over ${MAX_BODY} bytes after ${run.elapsed()} ms`, {
            status,
          });
        else chunks.push(chunk);
      });
      res.on('end', () => {
        const body = Buffer.concat(chunks);
        const problem = this.#bodyProblem(body);
        if (problem === undefined)
          run.pass(`${got}, body ok (${body.length} bytes) after ${run.elapsed()} ms`, { status });
        else run.fail('body', `${got} but ${problem} after ${run.elapsed()} ms`, { status });
      });
    });
    req.end();
    return run.result;
  }

  #bodyProblem(body: Buffer): string | undefined {
    const c = this.#config;
    const text = body.toString('utf8');
    if (c.expect_body !== undefined && !text.includes(c.expect_body))
      return `the body does not contain ${quote(c.expect_body)} (got ${quote(text, 60)})`;
    if (this.#regex && !this.#regex.test(text))
      return `the body does not match /${this.#regex.source}/ (got ${quote(text, 60)})`;
    if (c.expect_digest !== undefined) {
      const digest = createHash('sha256').update(body).digest('hex');
      if (digest !== c.expect_digest)
        return `body sha256 ${digest.slice(0, 12)}… is not ${c.expect_digest.slice(0, 12)}…`;
    }
    return undefined;
  }
}
