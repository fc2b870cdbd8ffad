// The kernel engine's view of its connections: conntrack-tools lists and deletes the flows that the
// nat tables created (the reply source of a dnat'ed flow is its real server). The parser is apart in
// conntrack-parse.ts.
import { addressFamily } from '../../model/address.ts';
import { VsdError } from '../../model/errors.ts';
import type { Protocol } from '../../model/flow.ts';
import { parseConntrack, type CtEntry } from './conntrack-parse.ts';
import { commandLine, isNotFound, runIn, type NftTarget, type RunResult } from './run.ts';

export type { CtEntry, CtTuple } from './conntrack-parse.ts';

async function conntrack(target: NftTarget, args: readonly string[]): Promise<RunResult> {
  const argv = ['conntrack', ...args];
  try {
    return await runIn(target, argv);
  } catch (e) {
    const where = target.netns ? ` (in netns ${target.netns})` : '';
    const message = isNotFound(e)
      ? `conntrack is not installed${where}: install the Debian package conntrack (conntrack-tools)`
      : `cannot run ${commandLine(target, argv).join(' ')}: ${(e as Error).message}`;
    throw new VsdError('VSD_ERR_CONNTRACK', message, { cause: e });
  }
}

function failed(result: RunResult): VsdError {
  const err = result.stderr.trim();
  return new VsdError('VSD_ERR_CONNTRACK', `${result.argv.join(' ')} failed (exit ${result.code}): ${err}`, {
    details: err.split('\n'),
  });
}

/** conntrack's summary on stderr: "conntrack v1.4.7 (conntrack-tools): 3 flow entries have been deleted." */
function summaryCount(result: RunResult, verb: 'shown' | 'deleted'): number | undefined {
  const m = new RegExp(`(\\d+) flow entries have been ${verb}`).exec(result.stderr);
  return m ? Number(m[1]) : undefined;
}

/** Every tcp and udp flow the kernel tracks (optionally one family or protocol); others are skipped. */
export async function listConntrack(
  target: NftTarget,
  filter: { family?: 4 | 6; protocol?: Protocol } = {},
): Promise<CtEntry[]> {
  const args = ['-L', '-o', 'extended'];
  if (filter.family !== undefined) args.push('-f', filter.family === 6 ? 'ipv6' : 'ipv4');
  if (filter.protocol !== undefined) args.push('-p', filter.protocol);
  const result = await conntrack(target, args);
  // Exits 0 with "0 flow entries have been shown." on an empty table; tolerate a non-zero exit there too.
  if (result.code !== 0 && summaryCount(result, 'shown') !== 0) throw failed(result);
  return parseConntrack(result.stdout);
}

/**
 * Deletes the flows of one real server of one service: original destination the virtual address
 * (and port, when given), reply source the real server's address and port. Returns how many went;
 * 0 is no error (conntrack itself exits 1 then). A deleted flow is not cut by this alone: with
 * nf_conntrack_tcp_loose=1 (the default) its next packet starts a new entry through the nat chain,
 * so remove the real server from the ruleset first.
 */
export async function deleteConntrack(
  target: NftTarget,
  match: { protocol: Protocol; origDst: string; origDport?: number; replySrc: string; replySport: number },
): Promise<number> {
  const args = ['-D', '-f', addressFamily(match.origDst) === 6 ? 'ipv6' : 'ipv4', '-p', match.protocol];
  args.push('--orig-dst', match.origDst);
  if (match.origDport !== undefined) args.push('--orig-port-dst', String(match.origDport));
  args.push('--reply-src', match.replySrc, '--reply-port-src', String(match.replySport));
  const result = await conntrack(target, args);
  const count = summaryCount(result, 'deleted');
  if (count === undefined || (result.code !== 0 && count !== 0)) throw failed(result);
  return count;
}
