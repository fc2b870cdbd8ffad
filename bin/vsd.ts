#!/usr/bin/env node
// Entry point: hand the arguments to the CLI and exit with its code.
import { main } from '../src/cli/vsd.ts';

process.exit(await main(process.argv.slice(2)));
