// The app's own queue. Spread: 200 runs over two local servers (each its own process, running 2 jobs
// at once, a window of 2 each) against the same 200 on one of them, same run: the throughput ratio,
// and the app's own scheduling cost (time in the dispatcher's planning per job sent, timed around
// Dispatcher.plan() from outside), again with 1,000 jobs held, and per plan with 1,000 held behind
// 50,000 finished jobs. A short spread whose second server was never connected checks that it is
// still used. Then a sweep of 1,000 runs: the time for `jobs.submit` to return with all of them
// journaled, against the same durable work without the queue (1,000 createJob in one transaction
// on the same journal settings).
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Engine } from '../electron/engine/engine';
import { openJournal } from '../electron/engine/journal/db';
import { JobJournal } from '../electron/engine/journal/jobs';
import { promptTextOf } from '../electron/engine/workflows/api-format';
import { memorySecrets, waitFor } from '../tests/unit/jobs/cloud-harness';
import { FIXTURES } from '../tests/unit/jobs/journal-helpers';
import { startCloudProcess, type CloudProcess } from './fake-cloud-process';
import { percentile, report } from './report';

const RUNS = 200;
const HELD = 1000;
/** Runs of the spread whose second server was never made active. */
const COLD_RUNS = 20;
/** Finished jobs in the journal behind the held ones, for the planning cost of a journal in use. */
const HISTORY = 50_000;
/** Jobs sent while the held list is long: the planning cost is measured over these. */
const HELD_SENDS = 60;
/** 7 nodes, 6 sampler steps: (6 + 6) × 25 ms = 300 ms a job on the fake server. */
const SERVER = { mode: 'local', parallel: 2, stepMs: 25, steps: 6 } as const;
const WINDOW = 2;
const CHECKPOINT = 'v1-5-pruned-emaonly.safetensors';

type Workflow = Record<string, { class_type: string; inputs: Record<string, unknown> }>;

export async function benchQueue(): Promise<void> {
  const workflow = JSON.parse(
    readFileSync(join(FIXTURES, 'workflows', 'comfyui-basic_api_example.api.json'), 'utf8'),
  ) as Workflow;
  const servers = await Promise.all([1, 2].map(() => startCloudProcess({ ...SERVER, models: [CHECKPOINT] })));
  const dir = mkdtempSync(join(tmpdir(), 'bench-queue-'));
  try {
    const one = await runAll(join(dir, 'one'), servers.slice(0, 1), workflow, RUNS);
    const two = await runAll(join(dir, 'two'), servers, workflow, RUNS);
    const held = await planWithHeld(join(dir, 'held'), servers, workflow);
    // The same spread when the second server was never the active one (after a restart, say).
    const cold = await runAll(join(dir, 'cold'), servers, workflow, COLD_RUNS, false);

    const ratio = two.perSecond / one.perSecond;
    report('queue_spread_throughput', two.perSecond, 'jobs/s', 'n/a', true);
    report('queue_one_server_throughput', one.perSecond, 'jobs/s', 'n/a', true);
    report('queue_spread_vs_one_server', ratio, 'x', '>=1.9', ratio >= 1.9);
    report('queue_spread_split', two.onFirst / RUNS, 'share', 'n/a', true);
    report('queue_spread_split_unconnected_server', cold.onFirst / COLD_RUNS, 'share', 'n/a', true);
    report('queue_plan_ms_per_job', two.planMsPerJob, 'ms', '<5', two.planMsPerJob < 5);
    report('queue_plan_ms_per_job_one_server', one.planMsPerJob, 'ms', '<5', one.planMsPerJob < 5);
    report('queue_plan_ms_per_job_1000_held', held.planMsPerJob, 'ms', '<5', held.planMsPerJob < 5);
    report('queue_plan_ms_p95_1000_held', held.planP95, 'ms', 'n/a', true);
    report('queue_plans_per_job_1000_held', held.plansPerJob, 'plans', 'n/a', true);
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
    rmSync(dir, { recursive: true, force: true });
  }
  await benchSweepSubmit(workflow);
  await benchPlanWithHistory(workflow);
}

/**
 * An engine on a fresh data folder with a local profile for each server, their windows set. Each
 * server is made the active one in turn (as a person does when adding it in Settings), so all are
 * connected before the runs; `connect: false` connects only the first, as after a restart, and
 * leaves the others to the engine (the spread must still reach them).
 */
async function openWith(
  dataDir: string,
  servers: CloudProcess[],
  connect = true,
): Promise<{ engine: Engine; profileIds: string[] }> {
  const engine = await Engine.open({
    shell: 'host',
    dataDir,
    monitor: false,
    secrets: memorySecrets(),
    startJobs: false,
    logLevel: 'warn',
  });
  const profileIds: string[] = [];
  for (const [i, server] of servers.entries()) {
    const name = `Local ${String.fromCharCode(65 + i)}`;
    const saved = await engine.invoke('profiles.save', {
      ...(i === 0 ? { id: 'local' } : {}),
      name,
      kind: 'local',
      url: server.url,
    });
    profileIds.push(saved.id);
    await engine.invoke('queue.setWindow', { profileId: saved.id, window: WINDOW });
  }
  engine.settings.setSettings({ activeProfileId: profileIds[0]! });
  await engine.jobs.start();
  if (connect && profileIds.length > 1) {
    for (const id of [...profileIds.slice(1), profileIds[0]!])
      await engine.invoke('settings.set', { activeProfileId: id });
  }
  await waitFor(
    () =>
      profileIds.every(
        (id, i) => (!connect && i > 0) || (engine.jobs.socketStateOf(id) === 'open' && engine.jobs.objectInfo(id)),
      ),
    'servers online',
    30_000,
  );
  return { engine, profileIds };
}

/** Times `Dispatcher.plan()` from outside: every call, whoever makes it. */
function timePlans(engine: Engine): { ms: number[] } {
  const dispatcher = engine.jobs.service.dispatcher;
  const plan = dispatcher.plan.bind(dispatcher);
  const times = { ms: [] as number[] };
  dispatcher.plan = () => {
    const start = performance.now();
    try {
      return plan();
    } finally {
      times.ms.push(performance.now() - start);
    }
  };
  return times;
}

function sweepOf(n: number): { nodeId: string; input: string; values: number[] }[] {
  return [{ nodeId: '3', input: 'seed', values: Array.from({ length: n }, (_, i) => 5000 + i) }];
}

function count(engine: Engine, sql: string, ...params: unknown[]): number {
  return (engine.journal.prepare(sql).get(...params) as { n: number }).n;
}

/** Submits `runs` spread over the servers and waits until every one is completed with its output stored. */
async function runAll(
  dataDir: string,
  servers: CloudProcess[],
  workflow: Workflow,
  runs: number,
  connect = true,
): Promise<{ perSecond: number; planMsPerJob: number; onFirst: number }> {
  const { engine, profileIds } = await openWith(dataDir, servers, connect);
  try {
    // Both servers up, their object_info known: the runs are not held back by a start-up.
    const plans = timePlans(engine);
    const start = performance.now();
    const jobs = await engine.invoke('jobs.submit', {
      workflow,
      name: 'bench',
      profileId: profileIds[0]!,
      ...(profileIds.length > 1 ? { profileIds } : {}),
      sweep: sweepOf(runs),
    });
    const batchId = jobs[0]!.batchId!;
    await waitFor(
      () => {
        const done = count(engine, `SELECT count(*) n FROM jobs WHERE batch_id = ? AND state = 'completed'`, batchId);
        const failed = count(
          engine,
          `SELECT count(*) n FROM jobs WHERE batch_id = ? AND state IN ('failed', 'cancelled', 'interrupted')`,
          batchId,
        );
        if (failed > 0) throw new Error(`${failed} bench jobs failed`);
        const stored = count(
          engine,
          `SELECT count(*) n FROM outputs o JOIN jobs j ON j.id = o.job_id WHERE j.batch_id = ? AND o.state = 'stored'`,
          batchId,
        );
        return done === runs && stored >= runs;
      },
      `${runs} jobs completed and stored`,
      600_000,
    );
    const seconds = (performance.now() - start) / 1000;
    const onFirst = count(
      engine,
      `SELECT count(*) n FROM jobs WHERE batch_id = ? AND profile_id = ?`,
      batchId,
      profileIds[0],
    );
    const planMs = plans.ms.reduce((a, b) => a + b, 0);
    return { perSecond: runs / seconds, planMsPerJob: planMs / runs, onFirst };
  } finally {
    await engine.close();
  }
}

/**
 * 1,000 spread runs held; the planning time per job sent while the first HELD_SENDS go out (the
 * held list stays near 1,000 all that time). Planning reads every held job each time.
 */
async function planWithHeld(
  dataDir: string,
  servers: CloudProcess[],
  workflow: Workflow,
): Promise<{ planMsPerJob: number; planP95: number; plansPerJob: number }> {
  const { engine, profileIds } = await openWith(dataDir, servers);
  try {
    const plans = timePlans(engine);
    const jobs = await engine.invoke('jobs.submit', {
      workflow,
      name: 'bench',
      profileId: profileIds[0]!,
      profileIds,
      sweep: sweepOf(HELD),
    });
    const batchId = jobs[0]!.batchId!;
    const sent = (): number =>
      count(
        engine,
        `SELECT count(*) n FROM jobs WHERE batch_id = ? AND state NOT IN ('outbox', 'submitting')`,
        batchId,
      );
    await waitFor(() => sent() >= HELD_SENDS, `${HELD_SENDS} of ${HELD} held jobs sent`, 600_000);
    const n = sent();
    await engine.invoke('queue.pause', {});
    const planMs = plans.ms.reduce((a, b) => a + b, 0);
    return { planMsPerJob: planMs / n, planP95: percentile(plans.ms, 95), plansPerJob: plans.ms.length / n };
  } finally {
    await engine.close();
  }
}

/**
 * `jobs.submit` with a sweep of 1,000 runs (dispatch paused, so the time is the submit's alone),
 * against 1,000 createJob in one transaction on a journal opened the same way: the durable work
 * without the queue's bookkeeping.
 */
async function benchSweepSubmit(workflow: Workflow): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-sweep-'));
  try {
    const submits: number[] = [];
    const baselines: number[] = [];
    for (let round = 0; round < 3; round++) {
      const engine = await Engine.open({
        shell: 'host',
        dataDir: join(dir, `engine-${round}`),
        monitor: false,
        secrets: memorySecrets(),
        startJobs: false,
        logLevel: 'warn',
      });
      try {
        engine.settings.saveProfile({ id: 'local', name: 'Local', kind: 'local', url: 'http://127.0.0.1:9' });
        engine.settings.setSettings({ activeProfileId: 'local' });
        await engine.invoke('queue.pause', {});
        let events = 0;
        engine.on('job.changed', () => void (events += 1));
        const start = performance.now();
        const jobs = await engine.invoke('jobs.submit', {
          workflow,
          name: 'bench',
          profileId: 'local',
          sweep: sweepOf(HELD),
        });
        submits.push(performance.now() - start);
        if (jobs.length !== HELD || events < HELD) throw new Error(`submitted ${jobs.length}, told ${events}`);
        const held = count(engine, `SELECT count(*) n FROM jobs WHERE state = 'outbox'`);
        if (held !== HELD) throw new Error(`${held} jobs journaled`);
      } finally {
        await engine.close();
      }

      const db = openJournal(join(dir, `plain-${round}.sqlite3`));
      try {
        const journal = new JobJournal(db);
        const start = performance.now();
        journal.transaction(() => {
          const workflowId = journal.saveWorkflow(workflow, 'bench');
          for (let i = 0; i < HELD; i++) {
            const prompt = structuredClone(workflow);
            prompt['3']!.inputs.seed = 5000 + i;
            journal.createJob({
              id: randomUUID(),
              profileId: 'local',
              workflowId,
              prompt,
              state: 'outbox',
              promptText: promptTextOf(prompt),
              cause: 'bench',
            });
          }
        });
        baselines.push(performance.now() - start);
      } finally {
        db.close();
      }
    }
    const submit = percentile(submits, 50);
    const baseline = percentile(baselines, 50);
    report('queue_sweep_1000_submit', submit, 'ms', '<1000', submit < 1000);
    report('queue_sweep_1000_plain_create', baseline, 'ms', 'n/a', true);
    report('queue_sweep_submit_vs_plain_create', submit / baseline, 'x', '<=2', submit / baseline <= 2);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The planning cost in a journal that has been used: 1,000 runs held behind 50,000 finished jobs
 * (dispatch paused: the plan reads what it always reads, the held list, what is on each server and
 * the run-time estimates). Each job sent needs at least one plan.
 */
async function benchPlanWithHistory(workflow: Workflow): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-plan-history-'));
  try {
    const engine = await Engine.open({
      shell: 'host',
      dataDir: dir,
      monitor: false,
      secrets: memorySecrets(),
      startJobs: false,
      logLevel: 'warn',
    });
    try {
      engine.settings.saveProfile({ id: 'local', name: 'Local A', kind: 'local', url: 'http://127.0.0.1:9' });
      const other = engine.settings.saveProfile({ name: 'Local B', kind: 'local', url: 'http://127.0.0.1:10' });
      engine.settings.setSettings({ activeProfileId: 'local' });
      await engine.invoke('queue.pause', {});
      const journal = engine.jobs.journal;
      const workflowId = journal.saveWorkflow(workflow, 'bench');
      const start = Date.now() - HISTORY * 1000;
      journal.transaction(() => {
        for (let i = 0; i < HISTORY; i++) {
          journal.createJob({
            id: `done-${i}`,
            profileId: i % 2 ? 'local' : other.id,
            workflowId,
            prompt: workflow,
            state: 'completed',
            startedAt: start + i * 1000,
            finishedAt: start + i * 1000 + 300,
            cause: 'bench history',
          });
        }
      });
      await engine.invoke('jobs.submit', {
        workflow,
        name: 'bench',
        profileId: 'local',
        profileIds: ['local', other.id],
        sweep: sweepOf(HELD),
      });
      const dispatcher = engine.jobs.service.dispatcher;
      const times: number[] = [];
      for (let i = 0; i < 30; i++) {
        const t = performance.now();
        dispatcher.plan();
        times.push(performance.now() - t);
      }
      const ms = percentile(times.slice(5), 50);
      report('queue_plan_ms_per_plan_1000_held_50k_finished', ms, 'ms', '<5', ms < 5);
    } finally {
      await engine.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
