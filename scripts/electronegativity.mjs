// `npm run electronegativity`: Doyensec's Electron security scanner over the app's own code (electron/,
// renderer/ and package.json, copied aside: the scanner would otherwise walk node_modules). Every finding
// is either fixed or justified next to the code it names with `// eng-disable <CHECK>` and a comment
// saying why. Prints the findings; exits 1 if there are any.
// The scanner's online checks are left out: the Electron release list (AvailableSecurityFixesGlobalCheck)
// needs the network, and the version is read from package.json.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const INFORMATIONAL = new Set(['ELECTRON_VERSION_JSON_CHECK']);
const work = mkdtempSync(join(tmpdir(), 'comfy-desk-eng-'));
const started = Date.now();
try {
  const src = join(work, 'src');
  for (const part of ['electron', 'renderer', 'package.json'])
    cpSync(join(root, part), join(src, part), { recursive: true });
  const version = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).devDependencies.electron;
  // SARIF, one write: the scanner's CSV writes its header and its rows concurrently, and the header
  // sometimes lands over the first row.
  const sarif = join(work, 'findings.sarif');
  const bin = join(root, 'node_modules/.bin/electronegativity');
  const run = spawnSync(bin, ['-i', src, '-o', sarif, '-r', '-e', version, '-x', 'AvailableSecurityFixesGlobalCheck'], {
    encoding: 'utf8',
    timeout: 120_000,
  });
  if (run.status !== 0) {
    console.error(run.stdout, run.stderr);
    console.error(`electronegativity failed to run (exit ${run.status})`);
    process.exit(2);
  }
  const results = JSON.parse(readFileSync(sarif, 'utf8')).runs[0].results.map((r) => ({
    check: r.ruleId,
    file: r.locations?.[0]?.physicalLocation?.artifactLocation?.uri ?? '',
    line: r.locations?.[0]?.physicalLocation?.region?.startLine ?? 0,
    text: r.message?.text ?? '',
  }));
  // Checks that only state a fact (the Electron version found): shown, not counted.
  const informational = ({ check }) => INFORMATIONAL.has(check);
  // The scanner honours eng-disable in JavaScript only: in HTML, a comment in the 3 lines above
  // the line it names (with the reason) is honoured here.
  const justifiedInHtml = ({ check, file, line }) => {
    if (!file.endsWith('.html')) return false;
    const lines = readFileSync(join(root, file), 'utf8').split('\n');
    return lines.slice(Math.max(0, line - 4), line - 1).some((l) => l.includes(`eng-disable ${check}`));
  };
  const findings = results.filter((r) => !informational(r) && !justifiedInHtml(r));
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  for (const r of results) {
    const note = informational(r) ? 'info' : findings.includes(r) ? 'FINDING' : 'justified';
    console.log(`${note}: ${r.check} ${r.file}:${r.line} ${r.text.slice(0, 100)}`);
  }
  if (findings.length === 0) {
    console.log(`ELECTRONEGATIVITY 0 findings (${seconds} s)`);
  } else {
    console.log(
      `ELECTRONEGATIVITY ${findings.length} findings (${seconds} s): fix each, or justify it with eng-disable`,
    );
    process.exitCode = 1;
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
