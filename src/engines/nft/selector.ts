// How a service picks a real server for a new flow in nft: a key expression (numgen or jhash) taken
// modulo a slot count, and the slot -> real server table. The tables for sh, dh and mh are the very
// tables vsd's own schedulers build (same list order, same weights), so only the hash of the flow
// differs from IPVS; see docs/kernel-engine.md.
import type { Dest } from '../../model/dest.ts';
import { DhScheduler } from '../../schedulers/dh.ts';
import { MhScheduler } from '../../schedulers/mh.ts';
import { ShScheduler } from '../../schedulers/sh.ts';
import type { NftService } from './types.ts';
import { wrrSequence } from './wrr-slots.ts';

/** Every director must compute the same jhash, so the seed is a constant (the one netlab verified). */
export const JHASH_SEED = '0x5eed';

export type Selector =
  /** No real server may take new flows: they are dropped. */
  | { readonly kind: 'none' }
  /** fo, ovf: every new flow goes to one real server (index into realServers). */
  | { readonly kind: 'single'; readonly server: number }
  /** `key` evaluates to 0..slots.length-1; slots[k] is an index into realServers. */
  | { readonly kind: 'map'; readonly key: string; readonly slots: readonly number[] };

/** Real servers that may take new flows, as scheduler Dests whose slot is the index in realServers. */
export function liveDests(svc: NftService): Dest[] {
  const dests: Dest[] = [];
  svc.realServers.forEach((rs, i) => {
    if (rs.weight > 0 && rs.down !== true)
      dests.push({ slot: i, address: rs.address, port: rs.port, weight: rs.weight });
  });
  return dests;
}

/**
 * Real servers a persistence entry may keep naming: the live ones, and quiesced (weight 0, not down)
 * ones too when templates to them do not expire (IPVS expire_quiescent_template=0).
 */
export function affinityDests(svc: NftService): Dest[] {
  const dests: Dest[] = [];
  svc.realServers.forEach((rs, i) => {
    if (rs.down === true) return;
    if (rs.weight > 0 || svc.quiescentAffinity === true)
      dests.push({ slot: i, address: rs.address, port: rs.port, weight: rs.weight });
  });
  return dests;
}

function tableSlots(table: readonly (Dest | undefined)[]): number[] {
  // The schedulers fill every entry when given at least one live server.
  return table.map((d) => d?.slot ?? 0);
}

/** The selector for a supported scheduler (unsupportedReasons has already ruled out the others). */
export function selectorFor(svc: NftService): Selector {
  const live = liveDests(svc);
  if (live.length === 0) return { kind: 'none' };
  const ip = svc.vip.includes(':') ? 'ip6' : 'ip';
  const flags = new Set(svc.flags);
  const jhash = (fields: string, n: number) => `jhash ${fields} mod ${n} seed ${JHASH_SEED}`;
  const client = (port: boolean) => (port ? `${ip} saddr . ${svc.protocol} sport` : `${ip} saddr`);
  const numgen = (slots: number[]): Selector => ({
    kind: 'map',
    key: `numgen inc mod ${slots.length}`,
    slots,
  });
  switch (svc.scheduler) {
    case 'rr':
      // IPVS rr ignores weights (other than 0): one slot each, in list order.
      return numgen(live.map((d) => d.slot));
    case 'wrr':
      return numgen(wrrSequence(live));
    case 'sh': {
      const sh = new ShScheduler();
      sh.update(live);
      const slots = tableSlots(sh.buckets());
      return { kind: 'map', key: jhash(client(flags.has('sh-port')), slots.length), slots };
    }
    case 'dh': {
      const dh = new DhScheduler();
      dh.update(live);
      const slots = tableSlots(dh.buckets());
      return { kind: 'map', key: jhash(`${ip} daddr`, slots.length), slots };
    }
    case 'mh': {
      const mh = new MhScheduler();
      mh.update(live);
      const slots = tableSlots(mh.lookupTable());
      return { kind: 'map', key: jhash(client(flags.has('mh-port')), slots.length), slots };
    }
    case 'fo':
    case 'ovf': {
      // The highest weight, first of equals in list order (ip_vs_fo.c); ovf cannot see active counts.
      let best = live[0] as Dest;
      for (const d of live) if (d.weight > best.weight) best = d;
      return { kind: 'single', server: best.slot };
    }
    default:
      throw new Error(
        `selectorFor: ${svc.scheduler} is not supported (unsupportedReasons should have said so)`,
      );
  }
}

/**
 * The declaration of a slot map keyed by `key`: `typeof KEY : DATA`. nft 1.0.6 crashes (SIGSEGV) when
 * it lists a map declared `typeof jhash ...`, so a jhash-keyed map is declared with numgen's typeof
 * (the same 32-bit integer to the kernel) and says its real key in a comment.
 */
export function slotMapHead(key: string, data: string): string[] {
  if (!key.startsWith('jhash ')) return [`typeof ${key} : ${data}; flags interval;`];
  const slots = /mod (\d+)/.exec(key)?.[1] ?? '1';
  return [`typeof numgen inc mod ${slots} : ${data}; flags interval;`, `comment "key: ${key}";`];
}
