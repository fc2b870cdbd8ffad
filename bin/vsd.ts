#!/usr/bin/env node
// Entry point of vsd: hand the arguments to the CLI and exit with its code. Only bin/ calls process.exit.
import { main } from '../src/cli/vsd.ts';

process.exit(await main(process.argv.slice(2)));
