// Adds up the unit (vitest) and end-to-end (Playwright) reports into one closing line,
// and lists every skipped test with its reason so nothing passes silently.
import { existsSync, readFileSync } from 'node:fs';

let passed = 0;
let failed = 0;
let skipped = 0;
const skips = [];

if (existsSync('test-results/unit.json')) {
  const unit = JSON.parse(readFileSync('test-results/unit.json', 'utf8'));
  passed += unit.numPassedTests;
  failed += unit.numFailedTests;
  skipped += unit.numPendingTests + unit.numTodoTests;
  // The standing adversarial suite (tests/hostile/): its cases by class, as figures.
  const hostile = new Map();
  for (const file of unit.testResults ?? []) {
    for (const t of file.assertionResults ?? []) {
      const kind = /^\[([a-z-]+)\] /.exec(t.title)?.[1];
      if (!kind || !file.name.includes('/tests/hostile/')) continue;
      const entry = hostile.get(kind) ?? { passed: 0, total: 0 };
      entry.total += 1;
      if (t.status === 'passed') entry.passed += 1;
      hostile.set(kind, entry);
    }
  }
  if (hostile.size > 0) {
    const cases = [...hostile.values()].reduce((n, e) => n + e.total, 0);
    const line = [...hostile].map(([k, e]) => `${k} ${e.passed}/${e.total}`).join(', ');
    console.log(`HOSTILE ${cases} cases: ${line}`);
  }
} else {
  failed += 1;
  console.log('No unit test report (test-results/unit.json): the unit stage did not run to the end.');
}

if (existsSync('test-results/e2e.json')) {
  const e2e = JSON.parse(readFileSync('test-results/e2e.json', 'utf8'));
  passed += e2e.stats.expected + e2e.stats.flaky;
  failed += e2e.stats.unexpected;
  skipped += e2e.stats.skipped;
  const walk = (suite) => {
    for (const spec of suite.specs ?? []) {
      for (const t of spec.tests) {
        if (t.status === 'skipped') {
          const reason = t.annotations.find((a) => a.type === 'skip')?.description ?? 'no reason given';
          skips.push(`${spec.title}: ${reason}`);
        }
      }
    }
    for (const child of suite.suites ?? []) walk(child);
  };
  for (const suite of e2e.suites) walk(suite);
} else {
  failed += 1;
  console.log('No end-to-end report (test-results/e2e.json): the e2e stage did not run to the end.');
}

for (const s of skips) console.log(`skipped: ${s}`);
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
