// Prints the Debian packages .ci/run must install, one a line: those that bring the tools the tests
// call and that are not installed here (looked up as the tests look them up, in needs.ts).
import { missingPackages } from './needs.ts';

process.stdout.write(
  missingPackages()
    .map((p) => `${p}\n`)
    .join(''),
);
