// Makes sure the reference programs are there, installing the missing ones from Debian packages
// (apt-get, as root). Installing never starts or changes a system service that we use: the harness
// runs its own nginx/HAProxy in the foreground with its own configs.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { NGINX_STREAM_MODULE } from './configs.ts';

interface Requirement {
  readonly what: string;
  readonly present: () => boolean;
  readonly packages: readonly string[];
}

function hasCommand(name: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' }).status === 0;
}

const REQUIREMENTS: readonly Requirement[] = [
  { what: 'nginx', present: () => hasCommand('nginx'), packages: ['nginx'] },
  {
    what: 'nginx stream module',
    present: () => existsSync(NGINX_STREAM_MODULE),
    packages: ['libnginx-mod-stream'],
  },
  { what: 'haproxy', present: () => hasCommand('haproxy'), packages: ['haproxy'] },
  { what: 'wrk', present: () => hasCommand('wrk'), packages: ['wrk'] },
  { what: 'iperf3', present: () => hasCommand('iperf3'), packages: ['iperf3'] },
  { what: 'getconf', present: () => hasCommand('getconf'), packages: ['libc-bin'] },
];

function apt(args: string[]): void {
  execFileSync('apt-get', args, {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
}

export function ensureTools(log: (line: string) => void): void {
  // nginx and haproxy live in /usr/sbin, which a non-login PATH may lack.
  const path = (process.env.PATH ?? '').split(':');
  for (const dir of ['/usr/sbin', '/sbin']) if (!path.includes(dir)) path.push(dir);
  process.env.PATH = path.join(':');

  const missing = REQUIREMENTS.filter((r) => !r.present());
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
