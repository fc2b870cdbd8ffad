// The incremental hooks (server up, down, weight changed) against the whole-list update(): over random
// sequences of health events, a scheduler told one change at a time picks exactly as one given the
// whole list each time, and, where picks depend on the list alone, as one built afresh from it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ManualClock } from '../../../src/model/clock.ts';
import type { Dest } from '../../../src/model/dest.ts';
import type { Flow } from '../../../src/model/flow.ts';
import { seededRandom } from '../../../src/schedulers/random.ts';
import { createScheduler } from '../../../src/schedulers/registry.ts';
import { SCHEDULER_NAMES } from '../../../src/schedulers/types.ts';
import type { DestChange, Scheduler, SchedulerFlag, SchedulerName } from '../../../src/schedulers/types.ts';
import { counts } from '../../helpers/schedulers.ts';

const VARIANTS: { name: SchedulerName; flags: SchedulerFlag[] }[] = [
  ...SCHEDULER_NAMES.map((name) => ({ name, flags: [] })),
  { name: 'sh', flags: ['sh-fallback', 'sh-port'] },
  { name: 'mh', flags: ['mh-fallback', 'mh-port'] },
];
/** Their picks depend on the list and the counts only, not on earlier picks or updates. */
const HISTORY_FREE = new Set<SchedulerName>(['lc', 'wlc', 'sed', 'nq', 'fo', 'ovf', 'sh', 'dh', 'mh']);

const POOL = 8;
const pool: Dest[] = Array.from({ length: POOL }, (_, slot) => ({
  slot,
  address: slot % 3 === 2 ? `2001:db8::${slot + 1}` : `10.0.0.${slot + 1}`,
  port: 80 + (slot % 2),
  weight: 1,
}));

type Event = { server: number; up: boolean; weight: number };

const eventArb = fc.record({
  server: fc.integer({ min: 0, max: POOL - 1 }),
  up: fc.boolean(),
  // Mostly small weights (so gcd and turns change), sometimes large ones (mh shifts them down).
  weight: fc.oneof(fc.integer({ min: 0, max: 6 }), fc.integer({ min: 0, max: 65535 })),
});

const flowArb = fc.record({
  protocol: fc.constant('tcp' as const),
  clientAddress: fc.oneof(fc.ipV4(), fc.constantFrom('2001:db8::1', '2001:db8::abcd', '::1')),
  clientPort: fc.integer({ min: 1, max: 65535 }),
  vip: fc.constantFrom('198.51.100.1', '198.51.100.2', '198.51.100.3'),
  vport: fc.constant(80),
});

const probeArb = fc.record({
  flows: fc.array(flowArb, { minLength: 1, maxLength: 6 }),
  active: fc.array(fc.integer({ min: 0, max: 4 }), { minLength: POOL, maxLength: POOL }),
  inactive: fc.array(fc.integer({ min: 0, max: 300 }), { minLength: POOL, maxLength: POOL }),
  overloaded: fc.array(fc.integer({ min: 0, max: 9 }), { minLength: POOL, maxLength: POOL }),
});

const key = (d: Dest | undefined): string => (d === undefined ? '-' : `${d.address}:${d.port}/${d.weight}`);

test('a scheduler told one change at a time picks as one given the whole list', () => {
  for (const v of VARIANTS) {
    const make = (): Scheduler =>
      createScheduler(v.name, {
        flags: new Set(v.flags),
        clock: new ManualClock(0),
        random: seededRandom(3),
      });
    fc.assert(
      fc.property(
        fc.array(fc.boolean(), { minLength: POOL, maxLength: POOL }),
        fc.array(fc.tuple(eventArb, probeArb), { minLength: 1, maxLength: 25 }),
        (initiallyUp, steps) => {
          // The list in config order: the servers up, with their current weights.
          let list: Dest[] = pool.filter((_, i) => initiallyUp[i]);
          const hooked = make();
          const whole = make();
          hooked.update(list);
          whole.update(list);
          for (const [event, probe] of steps) {
            const change = apply(list, event);
            if (change) {
              list = change.list;
              hooked.changed(change.change);
            }
            whole.update(list);
            const fresh = make();
            fresh.update(list);
            const c = counts(POOL, {
              active: probe.active,
              inactive: probe.inactive,
              overloaded: probe.overloaded.map((o) => (o === 0 ? 1 : 0)),
            });
            for (const flow of probe.flows as Flow[]) {
              const got = key(hooked.pick(flow, c));
              assert.equal(
                got,
                key(whole.pick(flow, c)),
                `${v.name} ${v.flags.join(' ')}: hooked vs update()`,
              );
              if (HISTORY_FREE.has(v.name))
                assert.equal(
                  got,
                  key(fresh.pick(flow, c)),
                  `${v.name} ${v.flags.join(' ')}: hooked vs fresh`,
                );
            }
          }
        },
      ),
      { numRuns: 150, seed: 20261204 },
    );
  }
});

/** The list after one health event and the change that describes it, or undefined when nothing changes. */
function apply(list: readonly Dest[], e: Event): { list: Dest[]; change: DestChange } | undefined {
  const base = pool[e.server];
  if (base === undefined) return undefined;
  const index = list.findIndex((d) => d.slot === e.server);
  if (!e.up) {
    if (index < 0) return undefined;
    return { list: list.filter((_, i) => i !== index), change: { kind: 'down', index } };
  }
  const dest = { ...base, weight: e.weight };
  if (index >= 0) {
    if (list[index]?.weight === e.weight) return undefined;
    return { list: list.map((d, i) => (i === index ? dest : d)), change: { kind: 'weight', index, dest } };
  }
  const at = list.filter((d) => d.slot < e.server).length;
  return { list: [...list.slice(0, at), dest, ...list.slice(at)], change: { kind: 'up', index: at, dest } };
}
