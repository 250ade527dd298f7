// `comfy-desk`: scripting over the same engine and journal as the app.
//   comfy-desk run <workflow_api.json> [--server URL] [--kind cloud|local] [--set NODE.INPUT=VALUE …]
//                  [--count N] [--seed fixed|random|increment] [--out DIR] [--wait] [--data DIR]
//   comfy-desk jobs [--limit N] [--json]
//   comfy-desk sync [--server URL]
//   comfy-desk check <workflow.json> [--server URL]
//   comfy-desk import <folder>
//   comfy-desk search <text> [--json]
// Exit codes: 0 every job completed; 1 a job failed, was cancelled or interrupted; 2 bad usage or
// input; 3 the server could not be reached or refused us.
import { copyFile, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DeskError } from '../../shared/errors';
import { isFinalJobState, type JobSummary } from '../../shared/jobs';
import { Engine } from '../engine/engine';
import { parseApiWorkflow, applyInputs } from '../engine/workflows/api-format';
import { safeOutputName } from './names';
import { ProgressLine } from './progress';
import { importFolder } from '../engine/import-folder';

const USAGE = `Usage:
  comfy-desk run <workflow_api.json> [--server URL] [--kind cloud|local] [--set NODE.INPUT=VALUE ...]
                 [--count N] [--seed fixed|random|increment] [--out DIR] [--wait] [--data DIR]
  comfy-desk jobs [--limit N] [--json] [--data DIR]
  comfy-desk sync [--server URL] [--kind cloud|local] [--data DIR]
  comfy-desk check <workflow.json> [--server URL]    validate against the server's nodes (cached offline)
  comfy-desk import <folder> [--reference]           add a folder of ComfyUI outputs to the gallery
                                                     (copied into the store, or --reference: left in place)
  comfy-desk search <text> [--json]                  the gallery's full-text search
run also takes --image NODE=FILE and --mask NODE=FILE (a mask needs --image on the same node).
The API key comes from the system keychain (set it in the app) or COMFY_API_KEY.
--data DIR (or COMFY_DESK_DATA) selects the data folder; the default is the app's.`;

export const EXIT = { ok: 0, jobFailed: 1, usage: 2, server: 3 } as const;

class UsageError extends Error {}

export async function main(argv: string[], out = process.stdout, err = process.stderr): Promise<number> {
  const [command, ...rest] = argv;
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: {
      server: { type: 'string' },
      kind: { type: 'string' },
      set: { type: 'string', multiple: true },
      image: { type: 'string', multiple: true },
      mask: { type: 'string', multiple: true },
      count: { type: 'string' },
      seed: { type: 'string' },
      out: { type: 'string' },
      wait: { type: 'boolean' },
      data: { type: 'string' },
      limit: { type: 'string' },
      json: { type: 'boolean' },
      reference: { type: 'boolean' },
    },
  });
  const engine = await Engine.open({
    shell: 'host',
    ...(values.data ? { dataDir: values.data } : {}),
    monitor: false,
    startJobs: command === 'run' || command === 'sync' || command === 'check',
  });
  try {
    switch (command) {
      case 'run':
        return await run(engine, positionals[0], values, out, err);
      case 'jobs':
        return listJobs(engine, values, out);
      case 'sync': {
        const profileId = await chooseProfile(engine, values);
        const { imported } = await engine.handlers['sync.run']({ profileId });
        await engine.jobs.downloads.idle();
        out.write(`Imported ${imported} job(s).\n`);
        return EXIT.ok;
      }
      case 'check':
        return await check(engine, positionals[0], values, out, err);
      case 'import':
        return await importCommand(engine, positionals[0], values.reference === true, out, err);
      case 'search':
        return search(engine, positionals.join(' '), values, out);
      default:
        throw new UsageError(command ? `Unknown command "${command}".` : 'No command given.');
    }
  } catch (e) {
    if (e instanceof UsageError) {
      err.write(`${e.message}\n\n${USAGE}\n`);
      return EXIT.usage;
    }
    if (e instanceof DeskError) {
      err.write(`Error: ${e.message}\n`);
      return e.code === 'invalid_input' || e.code === 'not_found' ? EXIT.usage : EXIT.server;
    }
    throw e;
  } finally {
    await engine.close();
  }
}

type Values = Record<string, string | boolean | string[] | undefined>;

async function run(
  engine: Engine,
  file: string | undefined,
  values: Values,
  out: NodeJS.WritableStream,
  err: NodeJS.WritableStream,
): Promise<number> {
  if (!file) throw new UsageError('run needs a workflow file (API format).');
  const parsed = await readJsonFile(file);
  const base = parseApiWorkflow(parsed);
  const sets = Object.fromEntries(((values.set as string[] | undefined) ?? []).map(parseSet));
  const profileId = await chooseProfile(engine, values);
  Object.assign(sets, await uploadInputs(engine, profileId, values, out));
  const workflow = applyInputs(base, sets);
  const count = values.count === undefined ? 1 : Number(values.count);
  if (!Number.isInteger(count) || count < 1 || count > 100)
    throw new UsageError('--count must be a whole number from 1 to 100.');
  const seed = (values.seed as string | undefined) ?? 'fixed';
  if (!['fixed', 'random', 'increment'].includes(seed))
    throw new UsageError('--seed must be fixed, random or increment.');

  const submitted = await engine.handlers['jobs.submit']({
    profileId,
    workflow,
    name: file
      .split('/')
      .pop()!
      .replace(/\.json$/i, ''),
    count,
    seed: seed as 'fixed' | 'random' | 'increment',
    ...(Object.keys(sets).length ? { inputs: sets } : {}),
  });
  const ids = new Set(submitted.map((j) => j.id));
  out.write(`Submitted ${submitted.length} job(s): ${[...ids].join(', ')}\n`);
  if (!values.wait && !values.out) return EXIT.ok;

  const finished = await waitForJobs(engine, ids, new ProgressLine(err));
  await engine.jobs.downloads.idle();
  let failed = 0;
  for (const job of finished) {
    if (job.state === 'completed') continue;
    failed += 1;
    err.write(`Job ${job.id} ${job.state}${describeError(job)}\n`);
  }
  if (values.out) {
    const copied = await copyOutputs(engine, [...ids], values.out as string);
    out.write(`Copied ${copied.length} output(s) to ${values.out as string}\n`);
    for (const path of copied) out.write(`  ${path}\n`);
  }
  return failed > 0 ? EXIT.jobFailed : EXIT.ok;
}

function parseSet(text: string): [string, unknown] {
  const eq = text.indexOf('=');
  if (eq < 1) throw new UsageError(`--set ${text}: expected NODE.INPUT=VALUE`);
  const raw = text.slice(eq + 1);
  // Numbers, booleans and JSON stay typed; anything else is a string.
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    value = raw;
  }
  return [text.slice(0, eq), value];
}

async function chooseProfile(engine: Engine, values: Values): Promise<string> {
  const server = values.server as string | undefined;
  const envKey = process.env.COMFY_API_KEY;
  let profileId = engine.settings.getSettings().activeProfileId;
  if (server) {
    const url = new URL(server).origin + new URL(server).pathname.replace(/\/+$/, '');
    const kind =
      (values.kind as 'cloud' | 'local' | undefined) ??
      (/comfy\.org$/.test(new URL(url).hostname) || envKey ? 'cloud' : 'local');
    const existing = engine.settings.listProfiles().profiles.find((p) => p.url === url && p.kind === kind);
    profileId = existing?.id ?? engine.settings.saveProfile({ name: new URL(url).host, kind, url }).id;
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

function waitForJobs(engine: Engine, ids: Set<string>, progress: ProgressLine): Promise<JobSummary[]> {
  return new Promise((resolve) => {
    const latest = new Map<string, JobSummary>();
    const check = (job: JobSummary): void => {
      if (!ids.has(job.id)) return;
      latest.set(job.id, job);
      progress.update([...latest.values()]);
      const done = [...ids].every((id) => {
        const j = latest.get(id);
        return j && isFinalJobState(j.state);
      });
      if (done) {
        stop();
        progress.done();
        resolve([...latest.values()]);
      }
    };
    const stop = engine.on('job.changed', check);
    for (const id of ids) {
      const job = engine.jobs.journal.get(id);
      if (job) check(job);
    }
  });
}

async function copyOutputs(engine: Engine, jobIds: string[], dir: string): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const taken = new Set<string>();
  const copied: string[] = [];
  for (const jobId of jobIds) {
    for (const output of engine.jobs.journal.outputs(jobId)) {
      if (output.state !== 'stored' || !output.hash) continue;
      // The server's filename is only a suggestion: never a path, never overwriting another output.
      const name = safeOutputName(output.filename, output.hash, taken);
      const target = join(dir, name);
      await copyFile(engine.jobs.localPath(output.hash), target);
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

function listJobs(engine: Engine, values: Values, out: NodeJS.WritableStream): number {
  const limit = values.limit === undefined ? 20 : Number(values.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 500) throw new UsageError('--limit must be from 1 to 500.');
  const page = engine.jobs.gallery.jobs({ limit });
  if (values.json) {
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

/** --image NODE=FILE and --mask NODE=FILE: uploaded (once per server), then set as the node's image. */
async function uploadInputs(
  engine: Engine,
  profileId: string,
  values: Values,
  out: NodeJS.WritableStream,
): Promise<Record<string, string>> {
  const pairs = (list: unknown) =>
    ((list as string[] | undefined) ?? []).map((p) => {
      const eq = p.indexOf('=');
      if (eq < 1) throw new UsageError(`${p}: expected NODE=FILE`);
      return [p.slice(0, eq), p.slice(eq + 1)] as const;
    });
  const images = new Map(pairs(values.image));
  const masks = new Map(pairs(values.mask));
  const sets: Record<string, string> = {};
  const upload = async (
    node: string,
    file: string,
    kind: 'image' | 'mask',
    original?: { name: string; subfolder: string; type: string },
  ) => {
    const data = (await readFile(file)).toString('base64');
    const name = file.split(/[\\/]/).pop()!;
    const ref = await engine.handlers['uploads.image']({
      profileId,
      name,
      data,
      kind,
      ...(original ? { original } : {}),
    });
    out.write(
      `${kind === 'mask' ? 'Mask' : 'Image'} ${name} → node ${node}: ${ref.reused ? 'already on the server' : 'uploaded'} as ${ref.name}\n`,
    );
    return ref;
  };
  for (const [node, file] of images) {
    const ref = await upload(node, file, 'image');
    sets[`${node}.image`] = ref.subfolder ? `${ref.subfolder}/${ref.name}` : ref.name;
    const maskFile = masks.get(node);
    if (maskFile) {
      const mask = await upload(node, maskFile, 'mask', { name: ref.name, subfolder: ref.subfolder, type: ref.type });
      sets[`${node}.image`] = mask.subfolder ? `${mask.subfolder}/${mask.name}` : mask.name;
    }
  }
  for (const node of masks.keys())
    if (!images.has(node))
      throw new UsageError(`--mask ${node}=…: give --image ${node}=… too (a mask belongs to an image).`);
  return sets;
}

async function check(
  engine: Engine,
  file: string | undefined,
  values: Values,
  out: NodeJS.WritableStream,
  err: NodeJS.WritableStream,
): Promise<number> {
  if (!file) throw new UsageError('check needs a workflow file.');
  const parsed = await readJsonFile(file);
  const profileId = values.server ? await chooseProfile(engine, values) : engine.settings.getSettings().activeProfileId;
  // Fresh node definitions when the server answers; the cached ones otherwise.
  await engine.jobs.refreshObjectInfo(profileId).catch(() => undefined);
  const report = await engine.handlers['workflows.inspect']({ workflow: parsed, profileId });
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
  folder: string | undefined,
  reference: boolean,
  out: NodeJS.WritableStream,
  err: NodeJS.WritableStream,
): Promise<number> {
  if (!folder) throw new UsageError('import needs a folder.');
  const progress = new ProgressLine(err);
  const summary = await importFolder(
    folder,
    {
      journal: engine.jobs.journal,
      store: engine.jobs.store,
      profileId: engine.settings.getSettings().activeProfileId,
    },
    (done, total) => progress.count(done, total, 'files'),
    reference ? 'reference' : 'copy',
  );
  progress.done();
  out.write(
    `Added ${summary.added}, skipped ${summary.known} already known, ${summary.unreadable.length} unreadable.\n`,
  );
  for (const u of summary.unreadable) out.write(`  unreadable: ${u.file}: ${u.reason}\n`);
  return EXIT.ok;
}

function search(engine: Engine, text: string, values: Values, out: NodeJS.WritableStream): number {
  if (!text.trim()) throw new UsageError('search needs some text.');
  const { items } = engine.jobs.gallery.page({ search: text, limit: 200 });
  const rows = items.map((item) => ({
    path: item.hash ? engine.jobs.localPath(item.hash) : null,
    filename: item.filename,
    job: item.jobId,
    source: engine.jobs.journal.get(item.jobId)?.source ?? 'app',
    prompt: (item.promptText ?? '').replace(/\s+/g, ' ').slice(0, 120),
  }));
  if (values.json) out.write(JSON.stringify(rows, null, 2) + '\n');
  else
    for (const r of rows)
      out.write(`${r.path ?? '(not downloaded)'}  [${r.source} ${r.job.slice(0, 8)}]  ${r.prompt}\n`);
  if (!values.json && rows.length === 0) out.write('Nothing matches.\n');
  return EXIT.ok;
}

async function readJsonFile(file: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(file, 'utf8'));
  } catch (e) {
    throw new DeskError('invalid_input', `Cannot read ${file}: ${(e as Error).message}`, { cause: e });
  }
}
