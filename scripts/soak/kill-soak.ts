// Part 1, the kill soak: an engine child on one data folder, SIGKILLed at random points N times and
// restarted each time; it keeps submitting jobs while slow downloads (and, at times, a slow answer
// to POST /prompt) make the kills land mid-download and mid-submit. After every kill the journal and
// the store are checked while nothing has them open; a last run is let finish and checked in full.
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { startFakeCloud, type FakeCloud } from '../../tests/fake-cloud/index';
import { Report, sleep } from './common';
import { removeTempDir, startEngineChild, tempDir, type EngineChild } from './processes';
import {
  checkStore,
  duplicateSubmissions,
  isFinal,
  snapshot,
  tempFiles,
  unknownToJournal,
  ServedHashes,
  type Snapshot,
} from './verify';

export interface KillSoakOptions {
  kills: number;
  killMinMs: number;
  killMaxMs: number;
  /** How long the last (unkilled) run may take to finish everything. */
  finishTimeoutMs: number;
  random: () => number;
  deadline: number;
  keepData: boolean;
  report: Report;
}

/** Problems found, by check; each kept with the kill it was first seen after. */
class Problems {
  readonly seen = new Map<string, Set<string>>();
  add(check: string, items: string[], when: string): void {
    let set = this.seen.get(check);
    if (!set) this.seen.set(check, (set = new Set()));
    for (const item of items) {
      if (set.has(item)) continue;
      set.add(item);
      if (set.size <= 5) console.log(`# PROBLEM ${check} (${when}): ${item}`);
    }
  }
  count(check: string): number {
    return this.seen.get(check)?.size ?? 0;
  }
}

export async function killSoak(o: KillSoakOptions): Promise<{ timeUp: boolean }> {
  const started = Date.now();
  const cloud = await startFakeCloud({ stepMs: 10, steps: 4, parallel: 2 });
  const dataDir = tempDir('kill');
  const served = new ServedHashes(cloud);
  const problems = new Problems();
  const int = (min: number, max: number): number => Math.floor(min + o.random() * (max - min + 1));
  let kills = 0;
  let integrityFailures = 0;
  let midDownload = 0;
  let midSubmit = 0;
  let earlyKills = 0;
  let unexpectedExits = 0;
  let storedChecks = 0;
  let timeUp = false;
  let finished = false;
  let child: EngineChild | null = null;
  let last: Snapshot | null = null;
  console.log(`# kill soak: ${o.kills} kills, data folder ${dataDir}`);

  const check = async (when: string): Promise<Snapshot> => {
    const snap = snapshot(dataDir);
    if (snap.integrity.length > 0) {
      integrityFailures++;
      problems.add('integrity', snap.integrity, when);
    }
    const store = await checkStore(dataDir, snap, served);
    storedChecks += store.storedChecked;
    problems.add('outputs_hash_mismatch', store.mismatches, when);
    problems.add('store_objects_corrupt', store.corruptObjects, when);
    problems.add('duplicate_submissions', duplicateSubmissions(cloud), when);
    problems.add('server_jobs_unknown_to_journal', unknownToJournal(cloud, snap), when);
    return snap;
  };

  try {
    for (let run = 1; run <= o.kills; run++) {
      if (Date.now() > o.deadline) {
        timeUp = true;
        break;
      }
      installFaults(cloud, o.random, int);
      const submit = pick(o.random, [
        [0, 0.3],
        [1, 0.4],
        [2, 0.2],
        [3, 0.1],
      ]);
      const runStart = Date.now();
      child = startEngineChild(dataDir, cloud.url, cloud.apiKey, ['--submit', String(submit)]);
      const early = o.random() < 0.1;
      let delay: number;
      if (early) {
        // Sometimes before the engine is even open: during migrations, temp cleanup, resumeAll.
        delay = int(0, 1500);
        earlyKills++;
        await Promise.race([sleep(delay), child.exited]);
      } else {
        const ready = await Promise.race([child.ready, sleep(60_000).then(() => false)]);
        if (!ready && !child.hasExited()) console.log(`# run ${run}: no READY within 60 s; killing it`);
        delay = int(o.killMinMs, o.killMaxMs);
        if (ready) await Promise.race([sleep(delay), child.exited]);
      }
      const exitedOnItsOwn = child.hasExited();
      await child.kill();
      const exit = await child.exited;
      kills++;
      cloud.clearFaults(); // checks fetch the served bytes at full speed
      if (exitedOnItsOwn) {
        unexpectedExits++;
        problems.add(
          'child_unexpected_exits',
          [
            `run ${run}: exited by itself (code ${exit.code}, signal ${exit.signal}); last lines:\n  ${child.tail().join('\n  ')}`,
          ],
          `run ${run}`,
        );
      }
      const when = `after kill ${run}`;
      const snap = await check(when);
      last = snap;
      const downloading = snap.outputs.some((x) => x.state === 'downloading') || partialDownloads(dataDir);
      const submitting = snap.jobs.some((j) => j.state === 'submitting');
      if (downloading) midDownload++;
      if (submitting) midSubmit++;
      const open = snap.jobs.filter((j) => !isFinal(j.state)).length;
      const stored = snap.outputs.filter((x) => x.state === 'stored').length;
      console.log(
        `# kill ${run}/${o.kills} after ${Date.now() - runStart} ms (${early ? `early, ${delay} ms from start` : `${delay} ms after READY`})` +
          `${downloading ? ' mid-download' : ''}${submitting ? ' mid-submit' : ''}: jobs ${snap.jobs.length} (${open} open), ` +
          `outputs ${stored}/${snap.outputs.length} stored, server accepted ${cloud.acceptedCount()}`,
      );
    }

    // The last run is let finish: every job final, every output of a completed job stored.
    if (!timeUp && Date.now() <= o.deadline) {
      cloud.clearFaults();
      const finishStart = Date.now();
      child = startEngineChild(dataDir, cloud.url, cloud.apiKey, ['--finish']);
      const budget = Math.max(0, Math.min(o.finishTimeoutMs, o.deadline - Date.now()));
      finished = await Promise.race([child.done, sleep(budget).then(() => false)]);
      if (!finished) {
        if (Date.now() > o.deadline) timeUp = true;
        console.log(`# the final run did not finish in ${budget} ms; last lines:\n  ${child.tail().join('\n  ')}`);
      }
      if (finished) await Promise.race([child.exited, sleep(10_000)]); // it closes the engine and exits
      await child.kill();
      console.log(`# final run: ${finished ? 'finished' : 'did not finish'} in ${Date.now() - finishStart} ms`);
      last = await check('at the final check');
    }
  } finally {
    if (child) await child.kill();
  }

  const r = o.report;
  const final = last ?? snapshot(dataDir);
  r.exact('kill_restarts', kills, o.kills);
  r.exact('integrity_failures', integrityFailures, 0);
  r.exact('outputs_hash_mismatch', problems.count('outputs_hash_mismatch'), 0);
  r.exact('store_objects_corrupt', problems.count('store_objects_corrupt'), 0);
  r.exact('duplicate_submissions', problems.count('duplicate_submissions'), 0);
  r.exact('server_jobs_unknown_to_journal', problems.count('server_jobs_unknown_to_journal'), 0);
  r.exact('child_unexpected_exits', unexpectedExits, 0);
  // How often the kills hit what they are meant to hit (informative below 20 kills).
  const exercised = (n: number): boolean => n > 0 || o.kills < 20;
  r.line('kills_mid_download', midDownload, 'count', '>0', exercised(midDownload));
  r.line('kills_mid_submit', midSubmit, 'count', '>0', exercised(midSubmit));
  r.line('kills_before_ready', earlyKills, 'count', 'n/a', true);
  const resumed = cloud.requests.filter(
    (q) => q.origin === 'signed' && /^bytes=[1-9]\d*-$/.test(String(q.headers.range ?? '')),
  ).length;
  r.line('downloads_resumed', resumed, 'count', '>0', exercised(resumed));
  r.line('submits_found_by_lookup', final.lookupAdoptions, 'count', 'n/a', true);
  r.line('stored_output_checks', storedChecks, 'count', 'n/a', true);

  const finalJobs = final.jobs.filter((j) => isFinal(j.state)).length;
  r.line('final_run_finished', finished ? 1 : 0, 'count', '1', finished);
  r.line(
    'jobs_final',
    `${finalJobs}/${final.jobs.length}`,
    'jobs',
    `${final.jobs.length}`,
    finalJobs === final.jobs.length,
  );
  const stateMismatch = final.jobs.filter((j) => {
    const remote = j.prompt_id ? cloud.jobStatus(j.prompt_id) : null;
    return j.state !== 'completed' || remote !== 'completed';
  });
  problems.add(
    'jobs_not_completed',
    stateMismatch.map(
      (j) => `job ${j.id}: journal ${j.state}, server ${j.prompt_id ? cloud.jobStatus(j.prompt_id) : 'never had it'}`,
    ),
    'at the final check',
  );
  r.line(
    'jobs_completed',
    `${final.jobs.length - stateMismatch.length}/${final.jobs.length}`,
    'jobs',
    `${final.jobs.length}`,
    stateMismatch.length === 0 && final.jobs.length > 0,
  );
  const completed = new Set(final.jobs.filter((j) => j.state === 'completed').map((j) => j.id));
  const completedOutputs = final.outputs.filter((x) => completed.has(x.job_id));
  const notStored = completedOutputs.filter((x) => x.state !== 'stored');
  const withoutOutputs = [...completed].filter((id) => !completedOutputs.some((x) => x.job_id === id));
  problems.add(
    'outputs_not_stored',
    notStored.map((x) => `output ${x.id} of job ${x.job_id}: ${x.state}`),
    'at the final check',
  );
  r.line(
    'outputs_stored',
    `${completedOutputs.length - notStored.length}/${completedOutputs.length}`,
    'outputs',
    `${completedOutputs.length}`,
    notStored.length === 0,
  );
  r.exact('completed_jobs_without_outputs', withoutOutputs.length, 0);
  const temp = tempFiles(dataDir);
  problems.add('temp_files_left', temp, 'at the final check');
  r.exact('temp_files_left', temp.length, 0);
  r.line('kill_soak_time', (Date.now() - started) / 1000, 's', 'n/a', true);

  await cloud.close();
  if (o.keepData) console.log(`# kept the kill soak's data folder: ${dataDir}`);
  else removeTempDir(dataDir);
  return { timeUp };
}

/** Every download slowed (so kills land mid-body); now and then a slow answer to a submit. */
function installFaults(cloud: FakeCloud, random: () => number, int: (a: number, b: number) => number): void {
  cloud.clearFaults();
  if (random() < 0.35) cloud.fault({ method: 'POST', path: '/prompt', answerDelayMs: int(300, 3000), times: 1 });
  cloud.fault({ path: '/signed/', bytesPerSecond: int(3000, 12000), times: Number.POSITIVE_INFINITY });
}

function partialDownloads(dataDir: string): boolean {
  return tempFiles(dataDir).some((f) => f.endsWith('.part') && statSync(join(dataDir, 'store', 'tmp', f)).size > 0);
}

function pick<T>(random: () => number, weighted: [T, number][]): T {
  let x = random();
  for (const [value, weight] of weighted) {
    if (x < weight) return value;
    x -= weight;
  }
  return weighted[weighted.length - 1]![0];
}
