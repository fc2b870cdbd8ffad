// Micro-benchmark of Scheduler.pick() for every algorithm at 8, 64 and 1024 real servers.
// Prints mitata's table; it does not assert. Run: node bench/schedulers.bench.ts
import { bench, group, run } from 'mitata';
import { ManualClock } from '../src/model/clock.ts';
import type { Dest } from '../src/model/dest.ts';
import type { Flow } from '../src/model/flow.ts';
import { seededRandom } from '../src/schedulers/random.ts';
import { createScheduler } from '../src/schedulers/registry.ts';
import { SCHEDULER_NAMES } from '../src/schedulers/types.ts';
import type { SchedulerFlag } from '../src/schedulers/types.ts';

const SIZES = [8, 64, 1024];
const FLOWS = 4096;

function realServers(n: number): Dest[] {
  return Array.from({ length: n }, (_, slot) => ({
    slot,
    address: `10.${(slot >> 8) & 255}.${slot & 255}.1`,
    port: 8080,
    weight: 1 + (slot % 5),
  }));
}

// A spread of clients, some IPv6, and 64 destination addresses for the locality schedulers.
const flows: Flow[] = Array.from({ length: FLOWS }, (_, i) => ({
  protocol: 'tcp',
  clientAddress: i % 8 === 0 ? `2001:db8::${i.toString(16)}` : `192.0.${(i >> 8) & 255}.${i & 255}`,
  clientPort: 1024 + ((i * 7919) % 60000),
  vip: `198.51.100.${i % 64}`,
  vport: 80,
}));

const variants: { label: string; name: string; flags: SchedulerFlag[] }[] = [
  ...SCHEDULER_NAMES.map((name) => ({ label: name, name, flags: [] })),
  { label: 'sh+fallback+port', name: 'sh', flags: ['sh-fallback', 'sh-port'] },
  { label: 'mh+fallback+port', name: 'mh', flags: ['mh-fallback', 'mh-port'] },
];

for (const n of SIZES) {
  const dests = realServers(n);
  const rnd = seededRandom(n);
  const counts = {
    active: Array.from({ length: n }, () => Math.floor(rnd() * 50)),
    inactive: Array.from({ length: n }, () => Math.floor(rnd() * 500)),
    // One server in 16 over its threshold, so the skip paths run too.
    overloaded: Array.from({ length: n }, (_, i) => (i % 16 === 5 ? 1 : 0)),
  };
  group(`pick() with ${n} real servers`, () => {
    for (const v of variants) {
      const s = createScheduler(v.name, {
        flags: new Set(v.flags),
        clock: new ManualClock(),
        random: seededRandom(1),
      });
      s.update(dests);
      let i = 0;
      bench(v.label, () => s.pick(flows[i++ & (FLOWS - 1)]!, counts));
    }
  });
}

await run();
