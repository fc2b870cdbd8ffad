// What the nft compiler cannot carry out faithfully, as lines naming the config field, so the Director
// can reject a config up front instead of the kernel degrading it silently.
import { addressFamily, canonicalAddress } from '../../model/address.ts';
import type { SchedulerName } from '../../model/scheduler-names.ts';
import type { NftInput, NftService } from './types.ts';

/** Why each scheduler that needs live per-server state has no kernel-side form yet. */
const NO_KERNEL_FORM: Partial<Record<SchedulerName, string>> = {
  lc: 'it picks by active/inactive connection counts per real server, which nft rules cannot compare',
  wlc: 'it picks by connection counts divided by weight, which nft rules cannot compare',
  sed: 'it picks by (active+1)/weight, which nft rules cannot compare',
  nq: 'it picks an idle real server or by (active+1)/weight, which nft rules cannot compare',
  lblc: 'it keeps a destination-to-server cache driven by connection counts, which nft cannot keep',
  lblcr: 'it keeps destination-to-server sets driven by connection counts, which nft cannot keep',
  twos: 'it compares connection counts of two random picks, which nft rules cannot compare',
};

/** Stateless hashes: the only schedulers that work at netdev ingress, where there is no conntrack. */
const DR_SCHEDULERS: readonly SchedulerName[] = ['sh', 'dh', 'mh'];

const MAC = /^[0-9a-f]{2}(?::[0-9a-f]{2}){5}$/;
// Linux interface names: up to 15 bytes, no "/", whitespace or quotes (it is written in quotes).
const DEVICE = /^[A-Za-z0-9_.@+-]{1,15}$/;
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

function isCanonical(address: string): boolean {
  return canonicalAddress(address) === address;
}

function describe(svc: NftService): string {
  const vip = svc.vip.includes(':') ? `[${svc.vip}]` : svc.vip;
  return svc.name ?? `${svc.protocol}:${vip}:${svc.vport}`;
}

function serviceReasons(svc: NftService, at: string, input: NftInput): string[] {
  const out: string[] = [];
  const who = `(${describe(svc)})`;
  if (!isCanonical(svc.vip))
    out.push(`${at}.address: ${JSON.stringify(svc.vip)} is not a canonical IP address`);
  const family = addressFamily(svc.vip);
  if (svc.forwarding === 'proxy')
    out.push(`${at}.forwarding: "proxy" ${who} is carried by the proxy engine, not the kernel (nft) engine`);
  const why = NO_KERNEL_FORM[svc.scheduler];
  if (why !== undefined)
    out.push(`${at}.scheduler: "${svc.scheduler}" ${who} has no faithful nftables form: ${why}`);
  else if (svc.forwarding === 'dr' && !DR_SCHEDULERS.includes(svc.scheduler))
    out.push(
      `${at}.scheduler: "${svc.scheduler}" ${who} cannot run with forwarding dr: netdev ingress has no conntrack, ` +
        'so every packet would be scheduled on its own (use sh, dh or mh)',
    );
  if (svc.persistence !== undefined) {
    const { prefix, timeoutS } = svc.persistence;
    const full = family === 6 ? 128 : 32;
    if (!Number.isInteger(prefix) || prefix < 1 || prefix > full)
      out.push(`${at}.persistence.netmask: /${prefix} ${who} is not a prefix length (1-${full})`);
    if (!Number.isInteger(timeoutS) || timeoutS < 1)
      out.push(`${at}.persistence.timeout: ${timeoutS} s ${who} is not a whole number of seconds >= 1`);
    if (svc.forwarding === 'dr')
      out.push(
        `${at}.persistence: ${who} not available with forwarding dr (no conntrack at netdev ingress; ` +
          'sh without sh-port already sends each client address to one real server)',
      );
  }
  if (svc.forwarding === 'fullnat') {
    const snat = svc.snatAddress;
    if (snat === undefined) out.push(`${at}.snat_address: required for forwarding fullnat ${who}`);
    else if (!isCanonical(snat) || addressFamily(snat) !== family)
      out.push(
        `${at}.snat_address: ${JSON.stringify(snat)} ${who} is not an IPv${family} address like the VIP`,
      );
  }
  if (svc.forwarding === 'dr' && input.dr === undefined)
    out.push(`${at}.forwarding: dr ${who} needs the director's device and MAC (the compiler's dr link)`);
  svc.realServers.forEach((rs, j) => {
    const rat = `${at}.real_servers[${j}]`;
    if (!isCanonical(rs.address) || addressFamily(rs.address) !== family)
      out.push(
        `${rat}.address: ${JSON.stringify(rs.address)} ${who} is not an IPv${family} address like the VIP`,
      );
    if (svc.vport === 0) {
      if (rs.port !== 0)
        out.push(
          `${rat}.port: ${rs.port} ${who} must be 0 in a port-0 service: each flow keeps the port the client asked for`,
        );
    } else if (!Number.isInteger(rs.port) || rs.port < 1 || rs.port > 65535)
      out.push(`${rat}.port: ${rs.port} ${who} is not a port (1-65535)`);
    if (!Number.isInteger(rs.weight) || rs.weight < 0 || rs.weight > 65535)
      out.push(`${rat}.weight: ${rs.weight} ${who} is not a weight (0-65535)`);
    if (svc.forwarding === 'dr') {
      if (rs.port !== svc.vport)
        out.push(
          `${rat}.port: ${rs.port} ${who} must equal the service port ${svc.vport}: dr does not rewrite ports`,
        );
      if (rs.mac === undefined || !MAC.test(rs.mac))
        out.push(
          `${rat}.mac: ${JSON.stringify(rs.mac ?? null)} ${who} must be a lower-case MAC for forwarding dr`,
        );
    }
  });
  return out;
}

/** Every reason the input cannot be compiled; empty when it can. Never throws. */
export function unsupportedReasons(input: NftInput): string[] {
  const out: string[] = [];
  if (input.table !== undefined && !IDENTIFIER.test(input.table))
    out.push(`nft.table: ${JSON.stringify(input.table)} is not a plain nft identifier`);
  if (input.dr !== undefined) {
    if (!DEVICE.test(input.dr.device))
      out.push(`nft.dr.device: ${JSON.stringify(input.dr.device)} is not an interface name`);
    if (!MAC.test(input.dr.mac))
      out.push(`nft.dr.mac: ${JSON.stringify(input.dr.mac)} is not a lower-case MAC`);
  }
  input.services.forEach((svc, i) => out.push(...serviceReasons(svc, `virtual_services[${i}]`, input)));
  return out;
}
