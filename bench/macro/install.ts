// What the macro benchmark needs: the reference proxies, the backends and the load generators.
import { existsSync } from 'node:fs';
import { command, type Requirement } from '../common/install.ts';
import { NGINX_STREAM_MODULE } from './configs.ts';

export const MACRO_TOOLS: readonly Requirement[] = [
  command('nginx'),
  {
    what: 'nginx stream module',
    present: () => existsSync(NGINX_STREAM_MODULE),
    packages: ['libnginx-mod-stream'],
  },
  command('haproxy'),
  command('wrk'),
  command('iperf3'),
  command('getconf', ['libc-bin']),
];
