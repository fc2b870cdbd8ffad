#!/usr/bin/env node
// Entry point of a proxy worker process (forked by the proxy engine for `proxy_workers`): run the
// worker and exit with its code once the primary is gone.
import { runWorker } from '../src/engines/proxy/workers/worker-main.ts';

process.exit(await runWorker());
