// Part 2, the socket-drop soak: one engine (in this process) runs N jobs while the fake cloud cuts
// every WebSocket every 2 s. Every job must still end completed (as the server says) with all its
// outputs stored, whole, and sent once.
import { Engine } from '../../electron/engine/engine';
import { startFakeCloud } from '../../tests/fake-cloud/index';
import { Report, SOAK_TIMINGS, memorySecrets, sleep, soakWorkflow } from './common';
import { removeTempDir, tempDir } from './processes';
import { ServedHashes, checkStore, duplicateSubmissions, isFinal, snapshot, tempFiles } from './verify';

export interface WsDropOptions {
  jobs: number;
  dropEveryMs: number;
  timeoutMs: number;
  deadline: number;
  keepData: boolean;
  report: Report;
}

const BATCH = 10;

export async function wsDropSoak(o: WsDropOptions): Promise<{ timeUp: boolean }> {
  const started = Date.now();
  // Jobs of ~1 s each (12 simulated node/sampler steps of 80 ms), two at a time: a run spans many drops.
  const cloud = await startFakeCloud({ stepMs: 80, steps: 6, parallel: 2 });
  const dataDir = tempDir('ws');
  console.log(`# socket-drop soak: ${o.jobs} jobs, sockets dropped every ${o.dropEveryMs} ms, data folder ${dataDir}`);
  let drops = 0;
  const dropper = setInterval(() => {
    cloud.dropWebSockets();
    drops++;
  }, o.dropEveryMs);
  let engine: Engine | null = null;
  let allDone = false;
  let timeUp = false;
  try {
    engine = await Engine.open({
      shell: 'host',
      dataDir,
      monitor: false,
      secrets: memorySecrets({ cloud: cloud.apiKey }),
      cloudUrl: cloud.url,
      timings: SOAK_TIMINGS,
    });
    // Submitted in batches over time, so sends, runs and downloads all meet the drops.
    for (let sent = 0; sent < o.jobs; sent += BATCH) {
      await engine.handlers['jobs.submit']({
        workflow: soakWorkflow(),
        name: 'ws-drop',
        count: Math.min(BATCH, o.jobs - sent),
        seed: 'random',
      });
      if (sent + BATCH < o.jobs) await sleep(1000);
    }
    const left = engine.journal.prepare(
      `SELECT
         (SELECT count(*) FROM jobs WHERE state NOT IN ('completed', 'failed', 'cancelled', 'interrupted')) AS open,
         (SELECT count(*) FROM outputs o JOIN jobs j ON j.id = o.job_id
            WHERE j.state = 'completed' AND o.state != 'stored') AS unstored`,
    );
    const until = Math.min(started + o.timeoutMs, o.deadline);
    let lastText = '';
    while (Date.now() < until) {
      const now = left.get() as { open: number; unstored: number };
      const text = `open ${now.open}, outputs to store ${now.unstored}`;
      if (text !== lastText) console.log(`# socket-drop soak: ${text} (${drops} drops so far)`);
      lastText = text;
      if (now.open === 0 && now.unstored === 0) {
        await engine.jobs.downloads.idle();
        const again = left.get() as { open: number; unstored: number };
        if (again.open === 0 && again.unstored === 0) {
          allDone = true;
          break;
        }
      }
      await sleep(250);
    }
    if (!allDone && Date.now() >= o.deadline) timeUp = true;
  } finally {
    clearInterval(dropper);
    if (engine) await engine.close();
  }
  const seconds = (Date.now() - started) / 1000;

  const snap = snapshot(dataDir);
  const served = new ServedHashes(cloud);
  const store = await checkStore(dataDir, snap, served);
  const completed = snap.jobs.filter(
    (j) => j.state === 'completed' && j.prompt_id && cloud.jobStatus(j.prompt_id) === 'completed',
  );
  for (const j of snap.jobs.filter((x) => !completed.includes(x)).slice(0, 5))
    console.log(
      `# PROBLEM socket-drop job ${j.id}: journal ${j.state}, server ${j.prompt_id ? cloud.jobStatus(j.prompt_id) : 'never had it'}`,
    );
  const ids = new Set(completed.map((j) => j.id));
  const stored = snap.outputs.filter((x) => ids.has(x.job_id) && x.state === 'stored');
  const withStored = new Set(stored.map((x) => x.job_id));
  const outputsOfJobs = snap.outputs.filter((x) => snap.jobs.some((j) => j.id === x.job_id));
  for (const m of [...store.mismatches, ...store.corruptObjects].slice(0, 5))
    console.log(`# PROBLEM socket-drop: ${m}`);
  const dups = duplicateSubmissions(cloud);
  for (const d of dups.slice(0, 5)) console.log(`# PROBLEM socket-drop duplicate submission: ${d}`);
  const temp = tempFiles(dataDir);

  const r = o.report;
  r.exact('ws_drop_jobs_submitted', snap.jobs.length, o.jobs);
  r.exact('ws_drop_jobs_completed', completed.length, o.jobs);
  r.line(
    'ws_drop_jobs_final',
    snap.jobs.filter((j) => isFinal(j.state)).length,
    'count',
    String(o.jobs),
    snap.jobs.every((j) => isFinal(j.state)) && snap.jobs.length === o.jobs,
  );
  r.line(
    'ws_drop_outputs_stored',
    `${stored.length}/${outputsOfJobs.length}`,
    'outputs',
    `${outputsOfJobs.length}`,
    stored.length === outputsOfJobs.length && withStored.size === o.jobs,
  );
  r.exact('ws_drop_outputs_hash_mismatch', store.mismatches.length + store.corruptObjects.length, 0);
  r.exact('ws_drop_duplicate_submissions', dups.length, 0);
  r.exact('ws_drop_temp_files_left', temp.length, 0);
  r.line('ws_drop_socket_drops', drops, 'count', '>0', drops > 0 || o.jobs < 20); // informative for short runs
  r.line('ws_drop_time', seconds, 's', `<${Math.round(o.timeoutMs / 1000)}`, allDone);

  await cloud.close();
  if (o.keepData) console.log(`# kept the socket-drop soak's data folder: ${dataDir}`);
  else removeTempDir(dataDir);
  return { timeUp };
}
