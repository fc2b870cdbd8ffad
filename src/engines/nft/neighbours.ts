// What dr forwarding needs to know about its link: the director's own MAC on the device and each real
// server's MAC, which the netdev ingress rule writes into the frames. A real server must be on that
// device's link (no gateway); its MAC comes from the kernel's neighbour table, resolved on demand
// with `ip neigh replace ADDR dev DEV use` (NTF_USE: the kernel sends ARP / neighbour solicitation
// itself, no datagram to the real server and no entry state set by us).
import { addressFamily } from '../../model/address.ts';
import { VsdError } from '../../model/errors.ts';
import { commandLine, runIn, type NftTarget, type RunResult } from './run.ts';

/**
 * A real server on the link that did not answer ARP/ND in time: not a config error (it may come up
 * later), so callers tell it from the other VSD_ERR_DR_LINK failures by its class, not its message.
 */
export class NoNeighbourAnswer extends VsdError {
  constructor(message: string) {
    super('VSD_ERR_DR_LINK', message);
  }
}

/** States whose lladdr is a real answer (STALE/DELAY/PROBE: answered before, being re-checked). */
const USABLE = new Set(['REACHABLE', 'STALE', 'DELAY', 'PROBE', 'PERMANENT', 'NOARP']);
/** Polls of the neighbour table back off from the first to the last interval (ms). */
const POLL_FIRST_MS = 10;
const POLL_MAX_MS = 100;

async function ip(target: NftTarget, args: readonly string[]): Promise<RunResult> {
  const argv = ['ip', ...args];
  try {
    return await runIn(target, argv);
  } catch (e) {
    throw new VsdError(
      'VSD_ERR_DR_LINK',
      `cannot run ${commandLine(target, argv).join(' ')}: ${(e as Error).message}`,
      {
        cause: e,
      },
    );
  }
}

function failed(result: RunResult, what: string): VsdError {
  const err = result.stderr.trim();
  return new VsdError(
    'VSD_ERR_DR_LINK',
    `${what}: ${result.argv.join(' ')} failed (exit ${result.code}): ${err}`,
    {
      details: err.split('\n'),
    },
  );
}

async function ipJson<T>(target: NftTarget, args: readonly string[], what: string): Promise<T[]> {
  const result = await ip(target, ['-j', ...args]);
  if (result.code !== 0) throw failed(result, what);
  return JSON.parse(result.stdout || '[]') as T[];
}

/** The device's MAC ("02:77:00:00:00:02"). */
export async function linkAddress(target: NftTarget, device: string): Promise<string> {
  const result = await ip(target, ['-j', 'link', 'show', 'dev', device]);
  if (result.code !== 0 && /does not exist/.test(result.stderr)) {
    const where = target.netns ? ` in netns ${target.netns}` : '';
    throw new VsdError('VSD_ERR_DR_LINK', `dr device ${device} does not exist${where}`);
  }
  if (result.code !== 0) throw failed(result, `dr device ${device}`);
  const [link] = JSON.parse(result.stdout) as { address?: string; link_type?: string }[];
  if (link?.address === undefined || link.link_type !== 'ether')
    throw new VsdError(
      'VSD_ERR_DR_LINK',
      `dr device ${device} is not an Ethernet device (${link?.link_type ?? '?'})`,
    );
  return link.address.toLowerCase();
}

interface Route {
  type?: string;
  dev?: string;
  gateway?: string;
}

/** Throws unless `address` is reached directly on `device` (no gateway, not an address of this host). */
async function checkOnLink(target: NftTarget, device: string, address: string): Promise<void> {
  const result = await ip(target, ['-j', 'route', 'get', address]);
  const not = `real server ${address} is not on the link of ${device}`;
  if (result.code !== 0) throw new VsdError('VSD_ERR_DR_LINK', `${not} (no route: ${result.stderr.trim()})`);
  const [route] = JSON.parse(result.stdout) as Route[];
  if (route?.type === 'local')
    throw new VsdError('VSD_ERR_DR_LINK', `${not} (it is an address of this host)`);
  if (route?.gateway !== undefined)
    throw new VsdError('VSD_ERR_DR_LINK', `${not} (reached via ${route.gateway} on ${route.dev ?? '?'})`);
  if (route?.dev !== device)
    throw new VsdError('VSD_ERR_DR_LINK', `${not} (reached directly on ${route?.dev ?? '?'})`);
}

interface Neighbour {
  lladdr?: string;
  state?: string[];
}

async function known(target: NftTarget, device: string, address: string): Promise<Neighbour | undefined> {
  const what = `neighbour ${address} on ${device}`;
  const entries = await ipJson<Neighbour>(target, ['neigh', 'show', 'to', address, 'dev', device], what);
  return entries.find((n) => n.lladdr !== undefined && (n.state ?? []).some((s) => USABLE.has(s)));
}

/** Asks the kernel to resolve (or, for a STALE entry, re-check) the address itself: NTF_USE. */
async function kick(target: NftTarget, device: string, address: string): Promise<void> {
  const use = await ip(target, ['neigh', 'replace', address, 'dev', device, 'use']);
  if (use.code !== 0) throw failed(use, `resolving ${address} on ${device}`);
}

/**
 * The real server's MAC on `device`: it must be on that link; a known neighbour entry answers at
 * once, otherwise the kernel is asked to resolve it and the table is polled until `timeoutMs`.
 * A STALE entry answers at once too but is sent to be re-checked: frames that dr forwards never use
 * the entry, so without this a real server whose MAC changed would stay STALE with the old one.
 * Call again later (the kernel waits delay_first_probe_time, 5 s by default, before probing).
 */
export async function resolveNeighbour(
  target: NftTarget,
  device: string,
  address: string,
  timeoutMs = 1000,
): Promise<string> {
  await checkOnLink(target, device, address);
  const entry = await known(target, device, address);
  if (entry?.lladdr !== undefined) {
    if (entry.state?.includes('STALE')) await kick(target, device, address);
    return entry.lladdr.toLowerCase();
  }
  await kick(target, device, address);
  const deadline = Date.now() + timeoutMs;
  for (let wait = POLL_FIRST_MS; Date.now() < deadline; wait = Math.min(wait * 2, POLL_MAX_MS)) {
    await new Promise((r) => setTimeout(r, Math.max(1, Math.min(wait, deadline - Date.now()))));
    const found = await known(target, device, address);
    if (found?.lladdr !== undefined) return found.lladdr.toLowerCase();
  }
  const protocol = addressFamily(address) === 6 ? 'neighbour discovery' : 'ARP';
  throw new NoNeighbourAnswer(
    `real server ${address} did not answer ${protocol} on ${device} within ${timeoutMs} ms`,
  );
}
