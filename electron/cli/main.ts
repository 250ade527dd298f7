// `comfy-desk`: scripting over the same engine and journal as the app.
//   comfy-desk run <workflow> [--server S | --servers S1,S2,…] [--kind cloud|local]
//                  [--set NODE.INPUT=VALUE …] [--sweep NODE.INPUT=VALUES …] [--batch-name NAME]
//                  [--count N] [--seed fixed|random|increment] [--out DIR] [--grid FILE] [--wait]
//                  [--timeout S] [--data DIR]
//   comfy-desk jobs [--limit N] [--json]
//   comfy-desk sync [--server S]
//   comfy-desk check <workflow.json> [--server S]
//   comfy-desk convert <workflow.json|image|video> [--server S | --object-info FILE] [--out api.json]
//   comfy-desk import <folder>
//   comfy-desk search <text> [--json]
//   comfy-desk queue [list|pause|resume|move|window] …
// Exit codes: 0 every job completed (or is on a server, or held by a pause); 1 a job failed, was
// cancelled or interrupted, or an output could not be stored; 2 bad usage or input (checked before
// anything is sent or journaled); 3 the jobs could not move for --timeout seconds (the server
// unreachable) or the server refused us (key, credits, access).
import { chmod, copyFile, mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { DeskError } from '../../shared/errors';
import { keptOutputs, type JobSummary } from '../../shared/jobs';
import { sweepLabel, type SweepAxis } from '../../shared/queue';
import { Engine } from '../engine/engine';
import { upgradeLine } from '../engine/journal/upgrade-words';
import { applyInputs, isUiWorkflow } from '../engine/workflows/api-format';
import {
  checkFolder,
  checkServerNames,
  DEFAULT_SUBMIT_TIMEOUT_S,
  DEFAULT_TIMEOUT_S,
  EXIT,
  parseCommandLine,
  completePlan,
  parseWorkflow,
  planRun,
  readWorkflowSource,
  UsageError,
  type Args,
  type RunPlan,
} from './args';
import { convertCommand, convertForRun, readObjectInfoFile, serverObjectInfo } from './convert';
import { helpWanted, RUN_USAGE } from './help';
import { safeOutputName } from './names';
import { downloadTimingsFromEnv, followDownloads, writeStored } from './outputs';
import { ProgressLine } from './progress';
import { countByServer, resolveServers, serverName } from './servers';
import { workflowsCommand } from './saved';
import { queueCommand } from './queue';
import { watchJobs, type SetAside } from './watch';

const USAGE = `Usage:
  comfy-desk run <workflow> [--server S | --servers S1,S2,...] [--kind cloud|local]
                 [--set NODE.INPUT=VALUE ...] [--sweep NODE.INPUT=VALUES ...] [--batch-name NAME]
                 [--count N] [--seed fixed|random|increment] [--out DIR] [--grid FILE.png] [--wait]
                 [--timeout SECONDS] [--data DIR]
  comfy-desk jobs [--limit N] [--json] [--data DIR]
  comfy-desk sync [--server S] [--kind cloud|local] [--data DIR]
  comfy-desk check <workflow> [--server S]           validate against the server's nodes (cached offline)
  comfy-desk convert <file> [--server S | --object-info FILE] [--out api.json]
                                                     a workflow saved from ComfyUI (UI format) as the
                                                     API prompt ComfyUI's frontend would send
  comfy-desk import <folder> [--reference]           add a folder of ComfyUI outputs to the gallery
                                                     (copied into the store, or --reference: left in place)
  comfy-desk search <text> [--json]                  the gallery's full-text search
  comfy-desk queue [list] [--json]                   the app's queue: pauses, each server's window, held jobs
  comfy-desk queue pause [--server S]                nothing more is sent (to any server, or to S)
  comfy-desk queue resume [--server S]               sending goes on; what has room is sent now
  comfy-desk queue move <job-id...> --front|--back|--before ID|--after ID
  comfy-desk queue window --server S <N|default>     how many of ours may be on S at once
  comfy-desk workflows [list] [--server S] [--json]  the workflows saved on the server (its folders, sizes, times)
  comfy-desk workflows get NAME [--server S] [--out FILE]   a saved workflow (the copy kept here when offline)
  comfy-desk workflows put FILE [--as NAME] [--server S]    saves a workflow file there (replaces one of that name)
  comfy-desk run server:NAME [options]              runs a workflow saved on the server, by its name
A server S is an address (http://127.0.0.1:8188, https://cloud.comfy.org) or a profile's name.
run, check and convert take a workflow in API format or as saved from ComfyUI's editor (UI format:
converted with the server's nodes, as ComfyUI's frontend does), or an image or video ComfyUI made.
A NODE is its id (3, or 75:3 inside a subgraph) or its title (KSampler, "Upscale pass").
run also takes --image NODE=FILE and --mask NODE=FILE (a mask needs --image on the same node).
--sweep NODE.INPUT=VALUES (at most twice) makes a run for every value, or every combination:
  3.cfg=4,6,8   3.seed=1..4   3.denoise=0.5..1:0.25 (numbers where the workflow has a number);
  with --count, each combination runs N times; at most 1000 runs. --grid FILE writes the sweep's
  labelled grid once its runs are done. --servers spreads the runs: each goes where it would finish first.
run returns once every job is on a server: the app's queue lets only a server's window of ours
(see queue window) be on it at once, and run keeps sending as places free up. --wait (or --out,
--grid) waits until they finish and their outputs are stored. A job held because sending is paused
(everything, its server or its batch) is said and not waited for (exit 0): it goes when you resume.
--timeout SECONDS is how long run goes on without progress while its jobs cannot move (the server
unreachable or failing every send, a job's status that cannot be read): failed attempts do not start
the count again; any job taken by a server, started or finished does, so a long batch is never cut
off while it moves. Default ${DEFAULT_TIMEOUT_S} with --wait, ${DEFAULT_SUBMIT_TIMEOUT_S} without;
then it exits 3 with the jobs kept in the app's queue.
comfy-desk run --help says more of run.
The API key comes from the system keychain (set it in the app) or COMFY_API_KEY.
--data DIR (or COMFY_DESK_DATA) selects the data folder; the default is the app's.`;

export { EXIT };

export async function main(argv: string[], out = process.stdout, err = process.stderr): Promise<number> {
  let args: Args;
  let plan: RunPlan | null = null;
  const help = helpWanted(argv);
  if (help) {
    out.write(`${help === 'run' ? RUN_USAGE : USAGE}\n`);
    return EXIT.ok;
  }
  try {
    // Everything from this computer is checked before the journal opens or a server is asked.
    args = parseCommandLine(argv);
    checkServerNames(args);
    if (args.command === 'run') plan = await planRun(args);
    // With a saved node list, convert needs no journal and no server.
    if (args.command === 'convert' && args.objectInfo !== undefined) {
      if (args.server) throw new UsageError('Give --server or --object-info, not both.');
      const file = args.objectInfo;
      return await convertCommand(args, () => readObjectInfoFile(file), out);
    }
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
      // A journal the app's older version wrote is upgraded first: said on stderr, step by step.
      onUpgrade: (step) => err.write(`${upgradeLine(step)}\n`),
      ...downloadTimingsFromEnv(),
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
        await engine.jobs.start({ watchOthers: false, indexImages: false });
        const { imported } = await engine.invoke('sync.run', { profileId });
        await engine.jobs.settled();
        out.write(`Imported ${imported} job(s).\n`);
        return EXIT.ok;
      }
      case 'check':
        return await check(engine, args, out, err);
      case 'convert': {
        const profileId = await chooseProfile(engine, args);
        return await convertCommand(args, () => serverObjectInfo(engine, profileId), out);
      }
      case 'import':
        return await importCommand(engine, args, out, err);
      case 'search':
        return await search(engine, args, out);
      case 'queue':
        return await queueCommand(engine, args, out, err);
      case 'workflows': {
        const profileId = await chooseProfile(engine, args);
        return await workflowsCommand(engine, args.workflows!, profileId, out, err, {
          json: args.json,
          ...(args.out !== undefined ? { out: args.out } : {}),
        });
      }
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
    await closeEngine(engine);
  }
}

/**
 * Nothing more is sent once the command is done; a send already under way is let finish (for a
 * few seconds at most), so no job is left half-sent for the next process to look up.
 */
async function closeEngine(engine: Engine): Promise<void> {
  const { dispatcher } = engine.jobs.service;
  dispatcher.close();
  await Promise.race([dispatcher.idle(), delay(10_000)]);
  await engine.close();
}

function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms).unref());
}

async function run(
  engine: Engine,
  args: Args,
  plan: RunPlan,
  out: NodeJS.WritableStream,
  err: NodeJS.WritableStream,
): Promise<number> {
  const profileIds = await chooseProfiles(engine, args);
  const profileId = profileIds[0]!;
  const spread = profileIds.length > 1;
  // Following other processes too: the app beside it may send (or cancel) some of these jobs.
  await engine.jobs.start({ watchOthers: true, indexImages: false });
  // A connection to each server: a spread job goes only to a server that is up, and a job held
  // behind a full server is sent when this process hears the place is free.
  for (const id of profileIds) engine.jobs.session(id);
  if (spread) await connections(engine, profileIds, 3000);
  // server:NAME: the workflow saved there (or the copy kept here when it cannot be reached).
  if (plan.savedPath) {
    const saved = await engine.invoke('saved.open', { profileId, path: plan.savedPath });
    if (saved.offline)
      err.write(`${engine.jobs.profileName(profileId)} cannot be reached: running the copy kept here.\n`);
    if (isUiWorkflow(saved.workflow)) plan = { ...plan, ui: saved.workflow };
    else plan = await completePlan(args, plan, parseWorkflow(saved.workflow));
  }
  // A workflow saved from ComfyUI's editor is converted with the (first) server's nodes.
  if (!plan.workflow && plan.ui)
    plan = await completePlan(args, plan, convertForRun(plan.ui, await serverObjectInfo(engine, profileId)));
  const sets: Record<string, unknown> = { ...plan.sets, ...(await uploadInputs(engine, profileId, plan, out)) };
  const submitted = await engine.invoke('jobs.submit', {
    profileId,
    ...(spread ? { profileIds } : {}),
    workflow: applyInputs(plan.workflow!, sets),
    ...(plan.ui ? { uiWorkflow: plan.ui } : {}),
    name: plan.name,
    count: args.count,
    seed: args.seed,
    ...(Object.keys(sets).length ? { inputs: sets } : {}),
    ...(plan.sweep.length ? { sweep: plan.sweep } : {}),
    ...(args.batchName !== undefined ? { batchName: args.batchName } : {}),
  });
  const ids = submitted.map((j) => j.id);
  out.write(`Submitted ${submitted.length} job(s): ${ids.join(', ')}\n`);
  const batchId = submitted[0]?.batchId ?? null;
  const batch = batchId ? engine.jobs.queue.batch(batchId) : null;
  if (batch) out.write(`Batch "${batch.name}" (${batch.id})${sweepText(plan.sweep, args.count)}\n`);
  if (spread)
    out.write(
      `Spread over ${profileIds.map((id) => serverName(engine, id)).join(', ')}: each run goes where it would finish first.\n`,
    );
  const waitToEnd = args.wait || args.out !== undefined || args.grid !== undefined;
  const end = await watchJobs(
    engine,
    ids,
    {
      goal: waitToEnd ? 'finished' : 'on_server',
      timeoutMs: args.timeoutMs ?? (waitToEnd ? DEFAULT_TIMEOUT_S : DEFAULT_SUBMIT_TIMEOUT_S) * 1000,
      nameServers: spread,
    },
    err,
  );
  if (end.kind !== 'done') {
    // A job caught mid-send when the time ran out goes back to the outbox if that send fails too.
    const left = end.jobs.filter((j) => j.state === 'outbox' || j.state === 'submitting').length;
    const lead = end.kind !== 'needs_person' ? '' : spread ? 'Held until you act: ' : 'The server refused: ';
    err.write(`${lead}${engine.redact(end.message)}\n`);
    if (left > 0) {
      err.write(
        `${left} job(s) wait in the outbox. They are sent when Comfy Desk next connects to ${spread ? 'these servers' : 'this server'} ` +
          '(the app, or `comfy-desk sync`), or cancel them in the app.\n',
      );
    }
    const on = end.jobs.filter((j) => j.state === 'pending' || j.state === 'running').length;
    if (on > 0)
      err.write(`${on} job(s) left on the server: the app (or \`comfy-desk sync\`) follows them from there.\n`);
    return EXIT.server;
  }
  const held = new Set(end.held.map((h) => h.job.id));
  if (!waitToEnd) {
    const placed = end.jobs.filter((j) => !held.has(j.id));
    if (held.size === 0 && !spread) out.write(`All ${ids.length} job(s) are on the server.\n`);
    else if (held.size === 0)
      out.write(`All ${ids.length} job(s) are on a server: ${countByServer(engine, placed)}.\n`);
    else if (placed.length > 0)
      out.write(`${placed.length} of ${ids.length} job(s) are on a server: ${countByServer(engine, placed)}.\n`);
    if (spread) writeWhere(engine, end.jobs, held, out);
    writeHeld(end.held, out);
    return EXIT.ok;
  }
  // Outputs announced only in the job detail are fetched too, and every download ends first
  // (here, or in the app when it shares this data folder and was already fetching one).
  const ended = ids.filter((id) => !held.has(id));
  const downloads = followDownloads(engine, ended, err);
  await engine.jobs.settled();
  await outputsSettled(engine, ended, args.timeoutMs ?? DEFAULT_TIMEOUT_S * 1000);
  downloads.stop();
  let failed = 0;
  for (const job of end.jobs) {
    if (held.has(job.id)) continue;
    const now = engine.jobs.journal.get(job.id) ?? job;
    if (now.state !== 'completed') {
      failed += 1;
      err.write(`Job ${now.id} ${now.state}${engine.redact(describeError(now))}\n`);
    }
    for (const output of engine.jobs.journal.outputs(job.id)) {
      if (output.state === 'stored') continue;
      failed += 1;
      err.write(
        `Output ${output.filename} of job ${job.id.slice(0, 8)} could not be stored: ${engine.redact(output.error ?? output.state)}\n` +
          (output.state === 'failed' ? '  It is fetched again by `comfy-desk sync` or the app.\n' : ''),
      );
    }
  }
  if (spread) writeWhere(engine, end.jobs, held, out);
  if (batchId) await writeBatch(engine, batchId, out);
  writeHeld(end.held, out);
  await writeStored(engine, ended, out);
  if (args.out !== undefined) {
    const { copied, previews } = await copyOutputs(engine, ended, args.out);
    const left = previews > 0 ? ` (${previews} temporary preview${previews === 1 ? '' : 's'} left out)` : '';
    out.write(`Copied ${copied.length} output(s) to ${args.out}${left}\n`);
    for (const path of copied) out.write(`  ${path}\n`);
  }
  if (args.grid !== undefined && batchId) {
    const grid = await engine.invoke('batches.grid', { id: batchId });
    const source = await engine.jobs.store.locate(grid.hash);
    if (source) {
      await copyFile(source, args.grid);
      await chmod(args.grid, 0o666 & ~process.umask());
      out.write(`Grid ${grid.width}×${grid.height} written to ${args.grid}\n`);
    }
  }
  return failed > 0 ? EXIT.jobFailed : EXIT.ok;
}

/** " — a sweep of cfg (3 values) × seed (4 values), 2 runs each" */
function sweepText(axes: SweepAxis[], count: number): string {
  if (axes.length === 0) return '';
  const each = count > 1 ? `, ${count} runs each` : '';
  return `: a sweep of ${axes.map((a) => `${a.input} (${a.values.length} values)`).join(' × ')}${each}`;
}

/** Each job and the server it went to (the journal's record of it). */
function writeWhere(engine: Engine, jobs: JobSummary[], held: Set<string>, out: NodeJS.WritableStream): void {
  out.write('Where each job went:\n');
  for (const seen of jobs) {
    const job = engine.jobs.journal.get(seen.id) ?? seen;
    const where = held.has(job.id) ? 'held' : serverName(engine, job.profileId);
    out.write(`  ${job.id}  ${job.state.padEnd(10)}  ${where}\n`);
  }
}

/** Jobs a pause holds: how many, why, and how to resume. */
function writeHeld(held: SetAside[], out: NodeJS.WritableStream): void {
  const byReason = new Map<string, number>();
  for (const h of held) byReason.set(h.reason, (byReason.get(h.reason) ?? 0) + 1);
  for (const [reason, n] of byReason) {
    const text = n === 1 ? reason : reason.replace(/\bit goes\b/, 'they go');
    out.write(`${n} job(s) held: ${text}.\n`);
  }
}

/** A batch at the end of run --wait: its counts, and for a sweep each combination and how it ended. */
async function writeBatch(engine: Engine, batchId: string, out: NodeJS.WritableStream): Promise<void> {
  const { batch, cells } = await engine.invoke('batches.get', { id: batchId });
  const c = batch.counts;
  const parts = [
    `${c.completed} completed`,
    c.failed ? `${c.failed} failed` : '',
    c.cancelled ? `${c.cancelled} cancelled or interrupted` : '',
    c.held ? `${c.held} held` : '',
    c.active ? `${c.active} still on a server` : '',
  ].filter(Boolean);
  out.write(`Batch "${batch.name}": ${c.total} run(s): ${parts.join(', ')}\n`);
  const [rows, cols] = [batch.axes[0], batch.axes[1]];
  const ordered = [...cells].sort((a, b) => a.row - b.row || a.col - b.col);
  for (const cell of ordered) {
    const labels = [
      rows ? sweepLabel(rows, rows.values[cell.row]!) : '',
      cols ? sweepLabel(cols, cols.values[cell.col]!) : '',
    ].filter(Boolean);
    out.write(`  ${labels.join(', ')}: ${cell.state}  job ${cell.jobId}\n`);
  }
}

/** Waits until no output of these jobs is still being fetched by any process, or the time is up. */
async function outputsSettled(engine: Engine, jobIds: string[], timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  const busy = () =>
    jobIds.some((id) => engine.jobs.journal.outputs(id).some((o) => o.state === 'remote' || o.state === 'downloading'));
  while (busy() && Date.now() < until) await new Promise((r) => setTimeout(r, 250));
}

/** Waits (a little) until every one of these servers' sockets is open, so a spread sees them all. */
async function connections(engine: Engine, ids: string[], ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until && !ids.every((id) => engine.jobs.socketStateOf(id) === 'open')) await delay(50);
}

/** --server / --servers as profile ids (made for new addresses), each ready with its key. */
async function chooseProfiles(engine: Engine, args: Args): Promise<string[]> {
  const envKey = process.env.COMFY_API_KEY;
  const refs = args.servers.length > 0 ? args.servers : args.server ? [args.server] : [];
  const ids =
    refs.length > 0
      ? await resolveServers(engine, refs, {
          create: true,
          ...(args.kind ? { kind: args.kind } : {}),
          ...(envKey ? { envKey } : {}),
        })
      : [engine.settings.getSettings().activeProfileId];
  // COMFY_API_KEY is one key: it goes to the one server named, or the one Comfy Cloud server
  // among several (never to two different ones: a key is bound to its server).
  const cloud = ids.filter((id) => engine.settings.getProfile(id)?.kind === 'cloud');
  if (envKey) {
    if (ids.length === 1) engine.keys.useForSession(ids[0]!, envKey);
    else if (cloud.length === 1) engine.keys.useForSession(cloud[0]!, envKey);
  }
  for (const id of cloud) {
    const profile = engine.settings.getProfile(id)!;
    if (!(await engine.keys.get(id))) {
      throw new DeskError(
        'no_key',
        `No API key for ${profile.name}: set COMFY_API_KEY or set the key in the app's Settings.`,
      );
    }
  }
  return ids;
}

async function chooseProfile(engine: Engine, args: Args): Promise<string> {
  return (await chooseProfiles(engine, { ...args, servers: [] }))[0]!;
}

/** Copies what each run made (keptOutputs) to `dir`; says how many previews it left out. */
async function copyOutputs(
  engine: Engine,
  jobIds: string[],
  dir: string,
): Promise<{ copied: string[]; previews: number }> {
  await mkdir(dir, { recursive: true });
  const taken = new Set<string>();
  const copied: string[] = [];
  let previews = 0;
  // Files the person takes away are theirs, made as any new file of theirs is (not the store's 0600).
  const mode = 0o666 & ~process.umask();
  for (const jobId of jobIds) {
    const stored = engine.jobs.journal.outputs(jobId).filter((o) => o.state === 'stored' && o.hash);
    const kept = keptOutputs(stored);
    previews += stored.length - kept.length;
    for (const output of kept) {
      // The server's filename is only a suggestion: never a path, never overwriting another output.
      const name = safeOutputName(output.filename, output.hash!, taken);
      const target = join(dir, name);
      const source = await engine.jobs.store.locate(output.hash!);
      if (!source) continue; // imported in place and since moved: nothing to copy
      await copyFile(source, target);
      await chmod(target, mode);
      copied.push(target);
    }
  }
  return { copied, previews };
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
  const source = await readWorkflowSource(args.positionals[0]);
  const profileId = args.server ? await chooseProfile(engine, args) : engine.settings.getSettings().activeProfileId;
  await engine.jobs.start({ watchOthers: false, indexImages: false });
  // Fresh node definitions when the server answers; the cached ones otherwise.
  await engine.jobs.refreshObjectInfo(profileId).catch(() => undefined);
  const report = await engine.invoke('workflows.inspect', { workflow: source.prompt ?? source.ui, profileId });
  if (report.format === 'invalid' || (report.format === 'ui' && !report.prompt)) {
    err.write(`${report.message}\n`);
    // A UI workflow waits for the server's node list (never reached): that is not the file's fault.
    return report.format === 'ui' && !report.checkedAgainstServer ? EXIT.server : EXIT.usage;
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
