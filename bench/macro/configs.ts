// Config file text for the backends and the proxies under test. Everything listens on 127.0.0.1
// only and keeps its pid file, logs and temp files in the run's directory.
import { backendNginxConfig, MAX_CONNECTIONS, nginxCommon } from '../common/nginx.ts';

/** Ports the backends listen on: the HTTP real servers (two; more in --idle mode) and one iperf3 server. */
export interface BackendPorts {
  readonly http: readonly [number, ...number[]];
  readonly iperf: number;
}

/** Ports a proxy listens on: HTTP (balanced over both HTTP backends) and bulk (to iperf3). */
export interface ProxyPorts {
  readonly http: number;
  readonly bulk: number;
}

export const NGINX_STREAM_MODULE = '/usr/lib/nginx/modules/ngx_stream_module.so';

/** The real servers: one nginx (one worker) answering a small fixed body on two ports, keep-alive. */
export function backendConfig(dir: string, ports: BackendPorts): string {
  return backendNginxConfig(
    dir,
    'backend',
    ports.http.map((p) => `127.0.0.1:${p}`),
  );
}

export function nginxStreamConfig(dir: string, backends: BackendPorts, ports: ProxyPorts): string {
  return `load_module ${NGINX_STREAM_MODULE};
${nginxCommon(dir, 'nginx-stream', 2)}
stream {
  upstream http { ${backends.http.map((p) => `server 127.0.0.1:${p};`).join(' ')} }
  upstream bulk { server 127.0.0.1:${backends.iperf}; }
  server { listen 127.0.0.1:${ports.http} backlog=4096; proxy_pass http; proxy_timeout 10m; }
  server { listen 127.0.0.1:${ports.bulk}; proxy_pass bulk; proxy_timeout 10m; }
}
`;
}

export function haproxyConfig(backends: BackendPorts, ports: ProxyPorts): string {
  return `global
  nbthread 2
  maxconn ${MAX_CONNECTIONS}

defaults
  mode tcp
  timeout connect 5s
  timeout client 10m
  timeout server 10m

frontend http
  bind 127.0.0.1:${ports.http}
  default_backend http

backend http
  balance roundrobin
${backends.http.map((p, i) => `  server s${i + 1} 127.0.0.1:${p}`).join('\n')}

frontend bulk
  bind 127.0.0.1:${ports.bulk}
  default_backend bulk

backend bulk
  server iperf 127.0.0.1:${backends.iperf}
`;
}

/** vsd's config; workers is its proxy_workers (a number or "auto"). */
export function vsdConfig(
  dir: string,
  backends: BackendPorts,
  ports: ProxyPorts,
  workers: number | 'auto' = 'auto',
): string {
  // log_level info: the engine logs nothing per connection, and "vsd running" (our ready signal) is info.
  return `log_level: info
proxy_workers: ${workers}
shutdown_grace: 1s
control: { socket: ${dir}/vsd.sock }
virtual_services:
  - name: http
    address: 127.0.0.1
    port: ${ports.http}
    scheduler: rr
    real_servers:
${backends.http.map((p) => `      - { address: 127.0.0.1, port: ${p}, weight: 1 }`).join('\n')}
  - name: bulk
    address: 127.0.0.1
    port: ${ports.bulk}
    scheduler: rr
    real_servers:
      - { address: 127.0.0.1, port: ${backends.iperf}, weight: 1 }
`;
}
