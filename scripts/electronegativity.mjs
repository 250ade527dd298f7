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
  // Parsed as CSV (a sample may hold a comma or a line break); a row is a check id and its fields.
  const rows = parseCsv(readFileSync(csv, 'utf8')).filter((fields) => /^[A-Z_]+$/.test(fields[0] ?? ''));
  const informational = (fields) => fields[1] === 'INFORMATIONAL';
  // The scanner honours eng-disable in JavaScript only: in HTML, a comment in the 3 lines above
  // the line it names (with the reason) is honoured here.
  const justifiedInHtml = ([check, , , file, where]) => {
    if (!file?.endsWith('.html')) return false;
    const line = Number(where?.split(':')[0]);
    const lines = readFileSync(join(root, file), 'utf8').split('\n');
    return lines.slice(Math.max(0, line - 4), line - 1).some((l) => l.includes(`eng-disable ${check}`));
  };
  const findings = rows.filter((fields) => !informational(fields) && !justifiedInHtml(fields));
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  for (const fields of rows) {
    const note = informational(fields) ? 'info' : findings.includes(fields) ? 'FINDING' : 'justified';
    console.log(`${note}: ${fields.slice(0, 5).join(' ')} ${(fields[5] ?? '').replace(/\s+/g, ' ').slice(0, 80)}`);
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

/** Rows of fields from CSV text: quoted fields may hold commas, quotes ("") and line breaks. */
function parseCsv(text) {
  const rows = [];
  let row = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += c;
  }
  if (field || row.length) rows.push([...row, field]);
  return rows;
}
