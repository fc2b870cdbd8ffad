// A small client for the control API, over the unix socket or HTTP (used by vsadm and tests).
import { request, type RequestOptions } from 'node:http';
import { VsdError } from '../model/errors.ts';

// The shapes the API answers with, so clients (vsadm) need no import from the layers behind the API.
export type { ServiceView } from './views.ts';
export type { ConnectionEntry } from '../director/types.ts';

export type ApiTarget = { readonly socketPath: string } | { readonly url: string; readonly token?: string };

export interface ApiResponse {
  readonly status: number;
  readonly body: unknown;
  readonly text: string;
}

export function apiRequest(
  target: ApiTarget,
  method: string,
  path: string,
  body?: unknown,
): Promise<ApiResponse> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  // Says this is no cross-site form (the HTTP listener refuses body-less changes without it).
  const headers: Record<string, string> = { 'x-vsd-request': 'client' };
  if (payload !== undefined) {
    headers['content-type'] = 'application/json';
    // Node sends GET and DELETE bodies unframed without it; the server would read them as a request.
    headers['content-length'] = String(Buffer.byteLength(payload));
  }
  let options: RequestOptions;
  if ('socketPath' in target) options = { socketPath: target.socketPath, path, method, headers };
  else {
    const url = new URL(path, target.url);
    if (target.token) headers.authorization = `Bearer ${target.token}`;
    options = {
      host: url.hostname.replace(/^\[|\]$/g, ''),
      port: url.port,
      path: url.pathname + url.search,
      method,
      headers,
    };
  }
  return new Promise((resolve, reject) => {
    const req = request(options, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let parsed: unknown = text;
        if ((res.headers['content-type'] ?? '').includes('json') && text !== '') parsed = JSON.parse(text);
        resolve({ status: res.statusCode ?? 0, body: parsed, text });
      });
    });
    req.on('error', (err: NodeJS.ErrnoException) => {
      const where = 'socketPath' in target ? target.socketPath : target.url;
      reject(
        new VsdError(
          'VSD_ERR_API',
          `cannot reach the vsd control API at ${where}: ${err.code ?? err.message}`,
          { cause: err },
        ),
      );
    });
    req.end(payload);
  });
}
