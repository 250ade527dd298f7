// Pipeline: 50 jobs from submit to every output on disk, through the engine, against a client
// (the fake cloud runs 4 jobs at once, as Comfy Cloud does by plan),
// written like the Comfy Cloud reference's complete example (../shared/spec/cloud-api-reference.md:
// one job at a time, a WebSocket per job, whole-file buffers), on the same fake cloud, same run.
// And against @saintno/comfyui-sdk (its natural use: every run at once) on a local-mode fake server,
// where the engine is measured again so the two go through the same server paths.
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import type { FakeCloud } from '../tests/fake-cloud/index';
import { openEngine, waitFor } from '../tests/unit/jobs/cloud-harness';
import { FIXTURES } from '../tests/unit/jobs/journal-helpers';
import { startCloudProcess } from './fake-cloud-process';
import { report } from './report';

const JOBS = 50;

export async function benchPipeline(): Promise<void> {
  const cloud = await startCloudProcess(['--step-ms', '4', '--steps', '4', '--parallel', '4']);
  const dir = mkdtempSync(join(tmpdir(), 'bench-pipeline-'));
  const workflow = JSON.parse(
    readFileSync(join(FIXTURES, 'workflows', 'comfyui-basic_api_example.api.json'), 'utf8'),
  ) as Record<string, unknown>;
  try {
    // Ours: submit all, the engine tracks, downloads and stores.
    const ours = await timeEngine(join(dir, 'ours'), { url: cloud.url, apiKey: cloud.apiKey, mode: 'cloud' }, workflow);

    // The reference client, as the documentation writes it.
    const out = join(dir, 'reference');
    mkdirSync(out);
    const t1 = performance.now();
    for (let i = 0; i < JOBS; i++) {
      const wf = structuredClone(workflow) as Record<string, { inputs: Record<string, unknown> }>;
      wf['3']!.inputs.seed = 1000 + i;
      await referenceRun(cloud.url, cloud.apiKey, wf, out);
    }
    const reference = (performance.now() - t1) / 1000;

    report('pipeline_50_jobs', ours, 's', 'n/a', true);
    report('pipeline_50_jobs_reference', reference, 's', 'n/a', true);
    report('pipeline_vs_reference', ours / reference, 'x', '<=0.5', ours / reference <= 0.5);
  } finally {
    await cloud.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  await versusSdk(workflow);
}

async function versusSdk(workflow: Record<string, unknown>): Promise<void> {
  const local = await startCloudProcess(['--local', '--step-ms', '4', '--steps', '4', '--parallel', '4']);
  const dir = mkdtempSync(join(tmpdir(), 'bench-sdk-'));
  try {
    const ours = await timeEngine(join(dir, 'ours'), { url: local.url, apiKey: '', mode: 'local' }, workflow);

    const { ComfyApi, CallWrapper, PromptBuilder } = await import('@saintno/comfyui-sdk');
    const api = new ComfyApi(local.url, 'bench-sdk');
    await api.init(1, 500).waitForReady();
    const out = join(dir, 'sdk');
    mkdirSync(out);
    const t1 = performance.now();
    await Promise.all(
      Array.from({ length: JOBS }, async (_, i) => {
        const builder = new PromptBuilder(workflow as never, ['seed'], ['images'])
          .setInputNode('seed', '3.inputs.seed' as never)
          .setOutputNode('images', '9' as never)
          .input('seed', 2000 + i);
        const result = (await new CallWrapper(api, builder).run()) as
          { images?: { images?: { filename: string }[] } } | false;
        for (const image of (result && result.images?.images) || []) {
          const blob = await api.getImage(image as never);
          await writeFile(join(out, `${i}-${image.filename}`), Buffer.from(await blob.arrayBuffer()));
        }
      }),
    );
    const sdk = (performance.now() - t1) / 1000;
    api.destroy();
    const written = readdirSync(out).length;
    if (written !== JOBS) throw new Error(`the SDK stored ${written} of ${JOBS} outputs`);
    report('pipeline_50_jobs_local', ours, 's', 'n/a', true);
    report('pipeline_50_jobs_sdk', sdk, 's', 'n/a', true);
    report('pipeline_vs_sdk', ours / sdk, 'x', '<=1', ours / sdk <= 1);
  } finally {
    await local.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Seconds from submitting JOBS runs to every output stored, through the engine. */
async function timeEngine(
  dataDir: string,
  server: { url: string; apiKey: string; mode: 'cloud' | 'local' },
  workflow: Record<string, unknown>,
): Promise<number> {
  const engine = await openEngine(dataDir, server as FakeCloud);
  const start = performance.now();
  const jobs = await engine.handlers['jobs.submit']({ workflow, name: 'bench', count: JOBS, seed: 'increment' });
  await waitFor(
    () =>
      jobs.every((j) => {
        const outputs = engine.jobs.journal.outputs(j.id);
        return (
          engine.jobs.journal.get(j.id)?.state === 'completed' &&
          outputs.length > 0 &&
          outputs.every((o) => o.state === 'stored')
        );
      }),
    'all jobs stored',
    300_000,
  );
  const seconds = (performance.now() - start) / 1000;
  await engine.close();
  return seconds;
}

/** submitWorkflow → waitForCompletion → downloadOutputs, as in the reference's complete example. */
async function referenceRun(base: string, key: string, workflow: object, outDir: string): Promise<void> {
  // The example opens the socket after submitting; on a fast server that can miss the end, so it
  // is opened first here (the only change).
  const ws = new WebSocket(`${base.replace('http', 'ws')}/ws?clientId=${crypto.randomUUID()}&token=${key}`);
  await new Promise((r) => ws.once('open', r));
  const response = await fetch(`${base}/api/prompt`, {
    method: 'POST',
    headers: { 'X-API-Key': key, 'Content-Type': 'application/json' },
    body: JSON.stringify({ prompt: workflow }),
  });
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  const promptId = ((await response.json()) as { prompt_id: string }).prompt_id;
  const outputs: Record<string, { images?: { filename: string; subfolder?: string; type?: string }[] }> = {};
  await new Promise<void>((resolve, reject) => {
    ws.on('message', (raw, binary) => {
      if (binary) return;
      const data = JSON.parse(String(raw)) as { type: string; data?: Record<string, unknown> };
      if (data.data?.prompt_id !== promptId) return;
      if (data.type === 'executed' && data.data.output) outputs[String(data.data.node)] = data.data.output as never;
      else if (data.type === 'execution_success') resolve();
      else if (data.type === 'execution_error') reject(new Error(String(data.data.exception_message)));
    });
  });
  ws.close();
  for (const nodeOutputs of Object.values(outputs)) {
    for (const fileInfo of nodeOutputs.images ?? []) {
      const params = new URLSearchParams({
        filename: fileInfo.filename,
        subfolder: fileInfo.subfolder ?? '',
        type: fileInfo.type ?? 'output',
      });
      const view = await fetch(`${base}/api/view?${params}`, { headers: { 'X-API-Key': key }, redirect: 'manual' });
      if (view.status !== 302) throw new Error(`HTTP ${view.status}`);
      const file = await fetch(view.headers.get('location')!);
      if (!file.ok) throw new Error(`HTTP ${file.status}`);
      await writeFile(join(outDir, `${promptId}-${fileInfo.filename}`), Buffer.from(await file.arrayBuffer()));
    }
  }
}
