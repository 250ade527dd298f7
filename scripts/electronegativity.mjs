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
const work = mkdtempSync(join(tmpdir(), 'comfy-desk-eng-'));
const started = Date.now();
try {
  const src = join(work, 'src');
  for (const part of ['electron', 'renderer', 'package.json'])
    cpSync(join(root, part), join(src, part), { recursive: true });
  const version = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).devDependencies.electron;
  const csv = join(work, 'findings.csv');
  const bin = join(root, 'node_modules/.bin/electronegativity');
  const run = spawnSync(bin, ['-i', src, '-o', csv, '-r', '-e', version, '-x', 'AvailableSecurityFixesGlobalCheck'], {
    encoding: 'utf8',
    timeout: 120_000,
  });
  if (run.status !== 0) {
    console.error(run.stdout, run.stderr);
    console.error(`electronegativity failed to run (exit ${run.status})`);
    process.exit(2);
  }
  const rows = readFileSync(csv, 'utf8').trim().split('\n').slice(1).filter(Boolean);
  // INFORMATIONAL rows only state facts (the Electron version found); they are shown, not counted.
  // The scanner honours eng-disable in JavaScript only: in HTML, a comment in the 3 lines above
  // the line it names (with the reason) is honoured here.
  const justifiedInHtml = (row) => {
    const [check, , , file, where] = row.split(',').map((f) => f.replace(/^"|"$/g, ''));
    if (!file?.endsWith('.html')) return false;
    const line = Number(where?.split(':')[0]);
    const lines = readFileSync(join(root, file), 'utf8').split('\n');
    return lines.slice(Math.max(0, line - 4), line - 1).some((l) => l.includes(`eng-disable ${check}`));
  };
  const findings = rows.filter((row) => !row.includes('"INFORMATIONAL"') && !justifiedInHtml(row));
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  for (const row of rows) {
    const note = row.includes('"INFORMATIONAL"') ? 'info' : findings.includes(row) ? 'FINDING' : 'justified';
    console.log(`${note}: ${row.split(',').slice(0, 6).join(' ')}`);
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
