#!/usr/bin/env node
// Sums vitest JSON reports into the one line CI ends with: "N passed, N failed".
// A report that is missing or unreadable (vitest crashed before writing it) counts as
// one failure, so a broken run can never look green.
import { readFileSync } from 'node:fs';

let passed = 0;
let failed = 0;
for (const file of process.argv.slice(2)) {
  try {
    const report = JSON.parse(readFileSync(file, 'utf8'));
    passed += report.numPassedTests;
    failed += report.numFailedTests;
    if (report.numTotalTests === 0) {
      console.error(`${file}: no tests ran`);
      failed += 1;
    }
  } catch (error) {
    console.error(`${file}: no usable vitest report (${error.message})`);
    failed += 1;
  }
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
