// Makes sure the programs a benchmark needs are there, installing the missing ones from Debian
// packages (apt-get, as root). Installing never starts or changes a system service that we use: the
// harnesses run their own nginx/HAProxy in the foreground with their own configs.
import { execFileSync, spawnSync } from 'node:child_process';

export interface Requirement {
  readonly what: string;
  readonly present: () => boolean;
  readonly packages: readonly string[];
}

export function hasCommand(name: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' }).status === 0;
}

/** A requirement met by a command of that name, from the Debian package of that name unless told. */
export function command(name: string, packages: readonly string[] = [name]): Requirement {
  return { what: name, present: () => hasCommand(name), packages };
}

function apt(args: string[]): void {
  execFileSync('apt-get', args, {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
}

export function ensureTools(requirements: readonly Requirement[], log: (line: string) => void): void {
  // nginx, haproxy, nft and ip live in /usr/sbin or /sbin, which a non-login PATH may lack.
  const path = (process.env.PATH ?? '').split(':');
  for (const dir of ['/usr/sbin', '/sbin']) if (!path.includes(dir)) path.push(dir);
  process.env.PATH = path.join(':');

  const missing = requirements.filter((r) => !r.present());
  if (missing.length === 0) return;
  const packages = [...new Set(missing.flatMap((r) => r.packages))];
  if (process.getuid?.() !== 0) {
    throw new Error(
      `missing ${missing.map((r) => r.what).join(', ')}: run  apt-get install -y ${packages.join(' ')}  as root`,
    );
  }
  log(`installing ${packages.join(' ')} (apt-get update first) ...`);
  apt(['update']);
  apt(['install', '-y', '--no-install-recommends', ...packages]);
  const still = missing.filter((r) => !r.present());
  if (still.length > 0)
    throw new Error(`still missing after apt-get install: ${still.map((r) => r.what).join(', ')}`);
}
