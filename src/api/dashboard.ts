// Serves the web dashboard (static files, no build step) and uPlot from its npm package.
// The page itself needs no token; its API calls carry the session cookie set by POST /api/v1/login.
import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { FastifyInstance } from 'fastify';

/** The package root: the nearest folder above this module with a package.json (src/ or dist/src/). */
function packageRoot(): string {
  let dir = import.meta.dirname;
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
}

const require = createRequire(import.meta.url);

const FILES: Record<string, { file: () => string; type: string }> = {
  '/': {
    file: () => join(packageRoot(), 'assets', 'dashboard', 'index.html'),
    type: 'text/html; charset=utf-8',
  },
  '/dashboard.js': {
    file: () => join(packageRoot(), 'assets', 'dashboard', 'dashboard.js'),
    type: 'text/javascript; charset=utf-8',
  },
  '/dashboard.css': {
    file: () => join(packageRoot(), 'assets', 'dashboard', 'dashboard.css'),
    type: 'text/css; charset=utf-8',
  },
  '/vendor/uplot.js': {
    file: () => require.resolve('uplot/dist/uPlot.iife.min.js'),
    type: 'text/javascript; charset=utf-8',
  },
  '/vendor/uplot.css': {
    file: () => require.resolve('uplot/dist/uPlot.min.css'),
    type: 'text/css; charset=utf-8',
  },
};

export const DASHBOARD_PATHS: ReadonlySet<string> = new Set(Object.keys(FILES));

export function dashboardRoutes(app: FastifyInstance): void {
  const cache = new Map<string, Buffer>();
  for (const [path, { file, type }] of Object.entries(FILES)) {
    app.get(path, async (_req, reply) => {
      let body = cache.get(path);
      if (!body) {
        body = await readFile(file());
        cache.set(path, body);
      }
      return reply.type(type).header('cache-control', 'no-cache').send(body);
    });
  }
}
