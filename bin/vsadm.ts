#!/usr/bin/env node
// Entry point of vsadm: hand the arguments to the CLI and exit with its code. Only bin/ calls process.exit.
import { text } from 'node:stream/consumers';
import { vsadmMain } from '../src/cli/vsadm/main.ts';

process.exit(
  await vsadmMain(process.argv.slice(2), {
    env: process.env,
    readStdin: () => text(process.stdin),
    out: (t) => process.stdout.write(t),
    err: (t) => process.stderr.write(t),
  }),
);
