// The engine child of the kill soak: opens the engine on the soak's data folder (resuming whatever
// the last, killed, run left), submits a few jobs and downloads outputs until the soak SIGKILLs it.
// With --finish it submits nothing, waits until every job is final and every output of a completed
// job is stored, closes the engine cleanly and exits 0.
// argv: dataDir cloudUrl apiKey [--submit N] [--finish]. Prints one line per fact.
import { parseArgs } from 'node:util';
import { Engine } from '../../electron/engine/engine';
import { FINAL_STATES, SOAK_TIMINGS, memorySecrets, sleep, soakWorkflow } from './common';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { submit: { type: 'string' }, finish: { type: 'boolean' } },
});
const [dataDir, cloudUrl, apiKey] = positionals as [string, string, string];

// If the soak itself dies (even by SIGKILL), this child goes too rather than run on forever.
const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent) process.exit(4);
}, 500).unref();

process.on('unhandledRejection', (err) => {
  console.log(`ERROR unhandled rejection: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exit(3);
});

const engine = await Engine.open({
  shell: 'host',
  dataDir,
  monitor: false,
  secrets: memorySecrets({ cloud: apiKey }),
  cloudUrl,
  timings: SOAK_TIMINGS,
});
engine.on('job.changed', (job) => console.log(`JOB ${job.id} ${job.state}`));
engine.on('output.changed', (o) => console.log(`OUTPUT ${o.id} ${o.state} ${o.hash ?? ''}`));
console.log('READY');

const submit = Number(values.submit ?? 0);
if (submit > 0) {
  const jobs = await engine.handlers['jobs.submit']({
    workflow: soakWorkflow(),
    name: 'soak',
    count: submit,
    seed: 'random',
  });
  console.log(`SUBMITTED ${jobs.map((j) => j.id).join(',')}`);
}

if (values.finish) {
  const finals = FINAL_STATES.map((s) => `'${s}'`).join(', ');
  const remaining = engine.journal.prepare(
    `SELECT
       (SELECT count(*) FROM jobs WHERE state NOT IN (${finals})) AS open,
       (SELECT count(*) FROM outputs o JOIN jobs j ON j.id = o.job_id
          WHERE j.state = 'completed' AND o.state != 'stored' AND o.deleted_at IS NULL) AS unstored`,
  );
  const left = (): { open: number; unstored: number } => remaining.get() as { open: number; unstored: number };
  let last = '';
  for (;;) {
    const now = left();
    const text = `open=${now.open} unstored=${now.unstored}`;
    if (text !== last) console.log(`LEFT ${text}`);
    last = text;
    if (now.open === 0 && now.unstored === 0) {
      // Late outputs (verify after completion) may still be queued: wait, then look once more.
      await engine.jobs.downloads.idle();
      await sleep(300);
      const again = left();
      if (again.open === 0 && again.unstored === 0) break;
    }
    await sleep(200);
  }
  await engine.jobs.downloads.idle();
  await engine.close();
  console.log('DONE');
  process.exit(0);
}

setInterval(() => undefined, 1000); // stays alive until killed
