// nginx as a benchmark backend: the config of a real server answering a small fixed body with
// keep-alive, and the command line that keeps nginx to the run's directory. Pid file, logs and temp
// paths are named after the instance, so several instances can share one directory.
import { join } from 'node:path';

export const BODY = 'hello from the vsd benchmark backend\n';
/** Fds for nginx (and HAProxy): under the 20,000 open files a process may hold here. */
export const MAX_FILES = 19_000;
export const MAX_CONNECTIONS = 8_000;

/** The top of an nginx config: workers, pid file, error log, limits. */
export function nginxCommon(dir: string, name: string, workers: number): string {
  return `worker_processes ${workers};
pid ${dir}/${name}.pid;
error_log ${dir}/${name}-error.log warn;
worker_rlimit_nofile ${MAX_FILES};
events { worker_connections ${MAX_CONNECTIONS}; }
`;
}

/** A real server: one nginx worker answering BODY on every `listen` ("127.0.0.1:8080", "8080"). */
export function backendNginxConfig(dir: string, name: string, listen: readonly string[]): string {
  const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']
    .map((kind) => `  ${kind}_temp_path ${dir}/${name}-${kind}-temp;`)
    .join('\n');
  const listeners = listen.map((l) => `    listen ${l} backlog=4096;`).join('\n');
  return `${nginxCommon(dir, name, 1)}
http {
  access_log off;
${temp}
  keepalive_requests 1000000;
  keepalive_timeout 300s;
  client_header_timeout 300s;
  server {
${listeners}
    default_type text/plain;
    location / { return 200 ${JSON.stringify(BODY)}; }
  }
}
`;
}

/** nginx's arguments: -p and -e keep it away from /var/log/nginx and /etc/nginx before it has read conf. */
export function nginxArgs(dir: string, conf: string, name: string): string[] {
  return ['-p', `${dir}/`, '-e', join(dir, `${name}-error.log`), '-c', conf, '-g', 'daemon off;'];
}
