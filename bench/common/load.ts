// Load generators: wrk for HTTP (keep-alive, or a new connection per request) and iperf3 for bulk
// TCP throughput, plus parsers for their output. Either runs on the host or, given a network
// namespace, inside it (`ip netns exec NS ...`).
import { execFile } from 'node:child_process';
import { trackTransient } from './processes.ts';

export interface WrkResult {
  readonly requests: number;
  readonly reqPerSec: number;
  /** 99th percentile latency in milliseconds (from --latency). */
  readonly p99Ms: number;
  /** Connect/read/write/timeout errors plus non-2xx/3xx responses. */
  readonly errors: number;
}

export interface WrkOptions {
  readonly url: string;
  readonly seconds: number;
  readonly threads?: number;
  readonly connections?: number;
  /** Send "Connection: close", so every request opens a new TCP connection. */
  readonly newConnections?: boolean;
  /** Run wrk inside this network namespace. */
  readonly netns?: string;
  /** A Lua script for wrk (-s). */
  readonly script?: string;
}

export interface IperfOptions {
  readonly host: string;
  readonly port: number;
  readonly streams: number;
  readonly seconds: number;
  /** Run the iperf3 client inside this network namespace. */
  readonly netns?: string;
}

export interface IperfResult {
  readonly gbitPerSec: number;
}

/** Runs a program to completion and returns its stdout; rejects with stderr on failure or timeout. */
export function runProgram(
  file: string,
  args: readonly string[],
  timeoutMs: number,
  netns?: string,
): Promise<string> {
  if (netns !== undefined) return runProgram('ip', ['netns', 'exec', netns, file, ...args], timeoutMs);
  return new Promise((resolve, reject) => {
    const child = execFile(
      file,
      args,
      { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024, encoding: 'utf8' },
      (err, stdout, stderr) => {
        if (err)
          reject(new Error(`${file} ${args.join(' ')} failed: ${err.message}\n${stderr}${stdout}`.trim()));
        else resolve(stdout);
      },
    );
    trackTransient(child);
  });
}

const LATENCY_UNITS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** "850.00us", "1.23ms", "2.00s" -> milliseconds. */
export function parseWrkDuration(text: string): number {
  const m = /^([\d.]+)(us|ms|s|m|h)$/.exec(text.trim());
  if (!m) throw new Error(`unrecognised wrk duration: ${text}`);
  return Number(m[1]) * (LATENCY_UNITS[m[2] ?? ''] ?? NaN);
}

/** Parses the text wrk prints with --latency. */
export function parseWrk(output: string): WrkResult {
  const rps = /^Requests\/sec:\s+([\d.]+)/m.exec(output);
  const total = /^\s*(\d+) requests in /m.exec(output);
  const p99 = /^\s*99(?:\.0+)?%\s+(\S+)/m.exec(output);
  if (!rps || !total || !p99) throw new Error(`could not parse wrk output:\n${output}`);
  let errors = 0;
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(output);
  if (sock) errors += sock.slice(1).reduce((sum, n) => sum + Number(n), 0);
  const bad = /Non-2xx or 3xx responses: (\d+)/.exec(output);
  if (bad) errors += Number(bad[1]);
  return {
    requests: Number(total[1]),
    reqPerSec: Number(rps[1]),
    p99Ms: parseWrkDuration(p99[1] ?? ''),
    errors,
  };
}

export async function runWrk(o: WrkOptions): Promise<WrkResult> {
  const args = [`-t${o.threads ?? 2}`, `-c${o.connections ?? 50}`, `-d${o.seconds}s`, '--latency'];
  if (o.newConnections) args.push('-H', 'Connection: close');
  if (o.script !== undefined) args.push('-s', o.script);
  args.push(o.url);
  return parseWrk(await runProgram('wrk', args, (o.seconds + 30) * 1000, o.netns));
}

interface IperfJson {
  error?: string;
  end?: { sum_received?: { bits_per_second?: number } };
}

/** Parses iperf3 -J output: the receiver's total over the measured interval. */
export function parseIperf(json: string): IperfResult {
  const data = JSON.parse(json) as IperfJson;
  if (data.error) throw new Error(`iperf3: ${data.error}`);
  const bps = data.end?.sum_received?.bits_per_second;
  if (typeof bps !== 'number') throw new Error('iperf3 output has no end.sum_received.bits_per_second');
  return { gbitPerSec: bps / 1e9 };
}

export async function runIperf(o: IperfOptions): Promise<IperfResult> {
  // -O 1: leave out the first second (slow start); the test runs seconds + 1 in all.
  const args = ['-c', o.host, '-p', String(o.port), '-P', String(o.streams), '-t', String(o.seconds)];
  args.push('-O', '1', '-J');
  return parseIperf(await runProgram('iperf3', args, (o.seconds + 30) * 1000, o.netns));
}
