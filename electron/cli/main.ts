// `comfy-desk`: scripting over the same engine and journal as the app.
//   comfy-desk run <workflow_api.json> [--server URL] [--kind cloud|local] [--set NODE.INPUT=VALUE …]
//                  [--count N] [--seed fixed|random|increment] [--out DIR] [--wait] [--timeout S] [--data DIR]
//   comfy-desk jobs [--limit N] [--json]
//   comfy-desk sync [--server URL]
//   comfy-desk check <workflow.json> [--server URL]
//   comfy-desk import <folder>
//   comfy-desk search <text> [--json]
// Exit codes: 0 every job completed; 1 a job failed, was cancelled or interrupted, or an output
// could not be stored; 2 bad usage or input (checked before anything is sent or journaled);
// 3 the server could not be reached (for --timeout seconds) or refused us (key, credits, access).
import { chmod, copyFile, mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { DeskError } from '../../shared/errors';
import type { JobSummary } from '../../shared/jobs';
import { Engine } from '../engine/engine';
import { applyInputs } from '../engine/workflows/api-format';
import {
  checkFolder,
  DEFAULT_SUBMIT_TIMEOUT_S,
  DEFAULT_TIMEOUT_S,
  parseCommandLine,
  planRun,
  readWorkflowFile,
  UsageError,
  type Args,
  type RunPlan,
} from './args';
import { safeOutputName } from './names';
import { ProgressLine } from './progress';
import { watchJobs } from './watch';

const USAGE = `Usage:
  comfy-desk run <workflow_api.json> [--server URL] [--kind cloud|local] [--set NODE.INPUT=VALUE ...]
                 [--count N] [--seed fixed|random|increment] [--out DIR] [--wait] [--timeout SECONDS]
                 [--data DIR]
  comfy-desk jobs [--limit N] [--json] [--data DIR]
  comfy-desk sync [--server URL] [--kind cloud|local] [--data DIR]
  comfy-desk check <workflow.json> [--server URL]    validate against the server's nodes (cached offline)
  comfy-desk import <folder> [--reference]           add a folder of ComfyUI outputs to the gallery
                                                     (copied into the store, or --reference: left in place)
  comfy-desk search <text> [--json]                  the gallery's full-text search
run also takes --image NODE=FILE and --mask NODE=FILE (a mask needs --image on the same node).
run returns once every job is on the server; --wait (or --out) waits until they finish and their
outputs are stored. While the server cannot be reached, run keeps trying for --timeout seconds
(default ${DEFAULT_TIMEOUT_S} with --wait, ${DEFAULT_SUBMIT_TIMEOUT_S} without), then exits 3 with the jobs kept in the outbox.
The API key comes from the system keychain (set it in the app) or COMFY_API_KEY.
--data DIR (or COMFY_DESK_DATA) selects the data folder; the default is the app's.`;

export const EXIT = { ok: 0, jobFailed: 1, usage: 2, server: 3 } as const;

export async function main(argv: string[], out = process.stdout, err = process.stderr): Promise<number> {
  let args: Args;
  let plan: RunPlan | null = null;
  try {
    // Everything from this computer is checked before the journal opens or a server is asked.
    args = parseCommandLine(argv);
    if (args.command === 'run') plan = await planRun(args);
    if (args.command === 'import') await checkFolder(args.positionals[0]);
    if (args.command === 'search' && !args.positionals.join(' ').trim())
      throw new UsageError('search needs some text.');
  } catch (e) {
    if (e instanceof UsageError) {
      err.write(`${e.message}\n\n${USAGE}\n`);
      return EXIT.usage;
    }
    throw e;
  }
  let engine: Engine;
  try {
    engine = await Engine.open({
      shell: 'host',
      ...(args.data ? { dataDir: args.data } : {}),
      monitor: false,
      // Jobs start once the profile and its key are chosen (connecting first would go without the key).
      startJobs: false,
    });
  } catch (e) {
    err.write(`Cannot open the Comfy Desk data folder: ${e instanceof Error ? e.message : String(e)}\n`);
    return EXIT.server;
  }
  try {
    switch (args.command) {
      case 'run':
        return await run(engine, args, plan!, out, err);
      case 'jobs':
        return await listJobs(engine, args, out);
      case 'sync': {
        const profileId = await chooseProfile(engine, args);
        await engine.jobs.start({ watchOthers: false });
        const { imported } = await engine.invoke('sync.run', { profileId });
        await engine.jobs.settled();
        out.write(`Imported ${imported} job(s).\n`);
        return EXIT.ok;
      }
      case 'check':
        return await check(engine, args, out, err);
      case 'import':
        return await importCommand(engine, args, out, err);
      case 'search':
        return await search(engine, args, out);
    }
  } catch (e) {
    if (e instanceof UsageError) {
      err.write(`${engine.redact(e.message)}\n\n${USAGE}\n`);
      return EXIT.usage;
    }
    if (e instanceof DeskError) {
      err.write(`Error: ${engine.redact(e.message)}\n`);
      return e.code === 'invalid_input' || e.code === 'not_found' ? EXIT.usage : EXIT.server;
    }
    err.write(`Unexpected error: ${engine.redact(e instanceof Error ? e.message : String(e))}\n`);
    return EXIT.server;
  } finally {
    await engine.close();
  }
}

async function run(
  engine: Engine,
  args: Args,
  plan: RunPlan,
  out: NodeJS.WritableStream,
  err: NodeJS.WritableStream,
): Promise<number> {
  const profileId = await chooseProfile(engine, args);
  await engine.jobs.start({ watchOthers: false });
  const sets: Record<string, unknown> = { ...plan.sets, ...(await uploadInputs(engine, profileId, plan, out)) };
  const submitted = await engine.invoke('jobs.submit', {
    profileId,
    workflow: applyInputs(plan.workflow, sets),
    name: plan.name,
    count: args.count,
    seed: args.seed,
    ...(Object.keys(sets).length ? { inputs: sets } : {}),
  });
  const ids = submitted.map((j) => j.id);
  out.write(`Submitted ${submitted.length} job(s): ${ids.join(', ')}\n`);
  const waitToEnd = args.wait || args.out !== undefined;
  const end = await watchJobs(
    engine,
    ids,
    {
      goal: waitToEnd ? 'finished' : 'on_server',
      profileId,
      timeoutMs: args.timeoutMs ?? (waitToEnd ? DEFAULT_TIMEOUT_S : DEFAULT_SUBMIT_TIMEOUT_S) * 1000,
    },
    err,
  );
  if (end.kind !== 'done') {
    const left = end.jobs.filter((j) => j.state === 'outbox').length;
    err.write(`${end.kind === 'needs_person' ? 'The server refused: ' : ''}${engine.redact(end.message)}\n`);
    if (left > 0) {
      err.write(
        `${left} job(s) wait in the outbox. They are sent when Comfy Desk next connects to this server ` +
          '(the app, or `comfy-desk sync`), or cancel them in the app.\n',
      );
    }
    return EXIT.server;
  }
  if (!waitToEnd) {
    out.write(`All ${ids.length} job(s) are on the server.\n`);
    return EXIT.ok;
  }
  // Outputs announced only in the job detail are fetched too, and every download ends first
  // (here, or in the app when it shares this data folder and was already fetching one).
  await engine.jobs.settled();
  await outputsSettled(engine, ids, args.timeoutMs ?? DEFAULT_TIMEOUT_S * 1000);
  let failed = 0;
  for (const job of end.jobs) {
    const now = engine.jobs.journal.get(job.id) ?? job;
    if (now.state !== 'completed') {
      failed += 1;
      err.write(`Job ${now.id} ${now.state}${engine.redact(describeError(now))}\n`);
    }
    for (const output of engine.jobs.journal.outputs(job.id)) {
      if (output.state === 'stored') continue;
      failed += 1;
      err.write(
        `Output ${output.filename} of job ${job.id.slice(0, 8)} could not be stored: ${engine.redact(output.error ?? output.state)}\n`,
      );
    }
  }
  if (args.out !== undefined) {
    const copied = await copyOutputs(engine, ids, args.out);
    out.write(`Copied ${copied.length} output(s) to ${args.out}\n`);
    for (const path of copied) out.write(`  ${path}\n`);
  }
  return failed > 0 ? EXIT.jobFailed : EXIT.ok;
}

/** Waits until no output of these jobs is still being fetched by any process, or the time is up. */
async function outputsSettled(engine: Engine, jobIds: string[], timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  const busy = () =>
    jobIds.some((id) => engine.jobs.journal.outputs(id).some((o) => o.state === 'remote' || o.state === 'downloading'));
  while (busy() && Date.now() < until) await new Promise((r) => setTimeout(r, 250));
}

async function chooseProfile(engine: Engine, args: Args): Promise<string> {
  const envKey = process.env.COMFY_API_KEY;
  let profileId = engine.settings.getSettings().activeProfileId;
  if (args.server) {
    const { url } = args.server;
    const kind = args.server.kind ?? (/comfy\.org$/.test(new URL(url).hostname) || envKey ? 'cloud' : 'local');
    const existing = engine.settings.listProfiles().profiles.find((p) => p.url === url && p.kind === kind);
    profileId = existing?.id ?? (await engine.invoke('profiles.save', { name: new URL(url).host, kind, url })).id;
  }
  if (envKey) engine.keys.useForSession(profileId, envKey);
  const profile = engine.settings.getProfile(profileId)!;
  if (profile.kind === 'cloud' && !(await engine.keys.get(profileId))) {
    throw new DeskError(
      'no_key',
      `No API key for ${profile.name}: set COMFY_API_KEY or set the key in the app's Settings.`,
    );
  }
  return profileId;
}

async function copyOutputs(engine: Engine, jobIds: string[], dir: string): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const taken = new Set<string>();
  const copied: string[] = [];
  // Files the person takes away are theirs, made as any new file of theirs is (not the store's 0600).
  const mode = 0o666 & ~process.umask();
  for (const jobId of jobIds) {
    for (const output of engine.jobs.journal.outputs(jobId)) {
      if (output.state !== 'stored' || !output.hash) continue;
      // The server's filename is only a suggestion: never a path, never overwriting another output.
      const name = safeOutputName(output.filename, output.hash, taken);
      const target = join(dir, name);
      const source = await engine.jobs.store.locate(output.hash);
      if (!source) continue; // imported in place and since moved: nothing to copy
      await copyFile(source, target);
      await chmod(target, mode);
      copied.push(target);
    }
  }
  return copied;
}

function describeError(job: JobSummary): string {
  const e = job.error;
  if (!e) return '';
  const where = e.nodeId
    ? ` at node ${e.nodeId}${e.nodeTitle ? ` (${e.nodeTitle}` : ''}${e.nodeType && e.nodeType !== e.nodeTitle ? `, ${e.nodeType}` : ''}${e.nodeTitle ? ')' : ''}`
    : '';
  const type = e.exceptionType ? ` ${e.exceptionType}:` : ':';
  const nodes = (e.nodes ?? [])
    .map(
      (n) =>
        `\n  node ${n.nodeId}${n.classType ? ` (${n.classType})` : ''}: ${n.problems.map((p) => (p.input ? `${p.input}: ${p.message}` : p.message)).join('; ')}`,
    )
    .join('');
  return `${where}${type} ${e.message}${nodes}`;
}

async function listJobs(engine: Engine, args: Args, out: NodeJS.WritableStream): Promise<number> {
  const page = await engine.invoke('jobs.list', { limit: args.limit });
  if (args.json) {
    out.write(JSON.stringify(page.items, null, 2) + '\n');
    return EXIT.ok;
  }
  for (const job of page.items) {
    const when = new Date(job.createdAt).toISOString().replace('T', ' ').slice(0, 19);
    out.write(
      `${when}  ${job.state.padEnd(11)}  ${String(job.outputCount).padStart(3)} out  ${job.id}  ${job.workflowName}\n`,
    );
  }
  if (page.items.length === 0) out.write('No jobs yet.\n');
  return EXIT.ok;
}

/** --image NODE=FILE and --mask NODE=FILE (read and checked already): uploaded once per server. */
async function uploadInputs(
  engine: Engine,
  profileId: string,
  plan: RunPlan,
  out: NodeJS.WritableStream,
): Promise<Record<string, string>> {
  const sets: Record<string, string> = {};
  const upload = async (
    node: string,
    file: { name: string; bytes: Buffer },
    kind: 'image' | 'mask',
    original?: { name: string; subfolder: string; type: string },
  ) => {
    const ref = await engine.invoke('uploads.image', {
      profileId,
      name: file.name,
      data: file.bytes.toString('base64'),
      kind,
      ...(original ? { original } : {}),
    });
    out.write(
      `${kind === 'mask' ? 'Mask' : 'Image'} ${file.name} → node ${node}: ${ref.reused ? 'already on the server' : 'uploaded'} as ${ref.name}\n`,
    );
    return ref;
  };
  for (const image of plan.images) {
    const ref = await upload(image.node, image, 'image');
    sets[`${image.node}.image`] = ref.subfolder ? `${ref.subfolder}/${ref.name}` : ref.name;
    if (image.mask) {
      const mask = await upload(image.node, image.mask, 'mask', {
        name: ref.name,
        subfolder: ref.subfolder,
        type: ref.type,
      });
      sets[`${image.node}.image`] = mask.subfolder ? `${mask.subfolder}/${mask.name}` : mask.name;
    }
  }
  return sets;
}

async function check(
  engine: Engine,
  args: Args,
  out: NodeJS.WritableStream,
  err: NodeJS.WritableStream,
): Promise<number> {
  const parsed = await readWorkflowFile(args.positionals[0]);
  const profileId = args.server ? await chooseProfile(engine, args) : engine.settings.getSettings().activeProfileId;
  await engine.jobs.start({ watchOthers: false });
  // Fresh node definitions when the server answers; the cached ones otherwise.
  await engine.jobs.refreshObjectInfo(profileId).catch(() => undefined);
  const report = await engine.invoke('workflows.inspect', { workflow: parsed, profileId });
  if (report.format !== 'api') {
    err.write(`${report.message}\n`);
    return EXIT.usage;
  }
  if (!report.checkedAgainstServer) {
    err.write(
      "The workflow is well-formed, but the server's nodes are unknown (never been online): run check once while connected.\n",
    );
    return EXIT.server;
  }
  for (const node of report.problems) {
    for (const p of node.problems) {
      out.write(
        `node ${node.nodeId} (${node.title ?? node.classType})${p.input ? ` input ${p.input}` : ''}: ${p.message}\n`,
      );
    }
  }
  out.write(
    report.problems.length === 0 ? 'No problems found.\n' : `${report.problems.length} node(s) with problems.\n`,
  );
  return report.problems.length === 0 ? EXIT.ok : EXIT.jobFailed;
}

async function importCommand(
  engine: Engine,
  args: Args,
  out: NodeJS.WritableStream,
  err: NodeJS.WritableStream,
): Promise<number> {
  const progress = new ProgressLine(err);
  const stop = engine.on('import.progress', ({ done, total }) => progress.count(done, total, 'files'));
  const summary = await engine
    .invoke('import.folder', {
      path: resolve(args.positionals[0]!),
      mode: args.reference ? 'reference' : 'copy',
    })
    .finally(stop);
  progress.done();
  out.write(
    `Added ${summary.added}, skipped ${summary.known} already known, ${summary.unreadable.length} unreadable.\n`,
  );
  for (const u of summary.unreadable) out.write(`  unreadable: ${u.file}: ${u.reason}\n`);
  return EXIT.ok;
}

async function search(engine: Engine, args: Args, out: NodeJS.WritableStream): Promise<number> {
  const { items } = await engine.invoke('gallery.page', { search: args.positionals.join(' '), limit: 200 });
  const rows = await Promise.all(
    items.map(async (item) => ({
      path: item.hash ? await engine.jobs.store.locate(item.hash) : null,
      filename: item.filename,
      job: item.jobId,
      source: engine.jobs.journal.get(item.jobId)?.source ?? 'app',
      prompt: (item.promptText ?? '').replace(/\s+/g, ' ').slice(0, 120),
    })),
  );
  if (args.json) out.write(JSON.stringify(rows, null, 2) + '\n');
  else
    for (const r of rows)
      out.write(`${r.path ?? '(not downloaded)'}  [${r.source} ${r.job.slice(0, 8)}]  ${r.prompt}\n`);
  if (!args.json && rows.length === 0) out.write('Nothing matches.\n');
  return EXIT.ok;
}
