// `comfy-desk queue`: the app's own queue from the command line. list, pause, move and window
// only change the journal (the app beside it follows within half a second, the next run obeys
// them); nothing is sent and no server is asked, so they return at once. resume also sends what
// the servers have room for now, since the app may be closed: the rest goes as places free up.
import type { JobSummary } from '../../shared/jobs';
import type { BatchSummary, MovePlace } from '../../shared/queue';
import type { Engine } from '../engine/engine';
import type { HeldJob } from '../engine/journal/queue';
import { DEFAULT_SUBMIT_TIMEOUT_S, EXIT, UsageError, type Args } from './args';
import { countByServer, resolveServers, serverName, shellWord } from './servers';
import { watchJobs } from './watch';

/** A held job as `queue list --json` gives it. */
export interface HeldRow {
  /** 1 goes first. */
  position: number;
  id: string;
  workflow: string;
  batch: { id: string; name: string; paused: boolean } | null;
  /** The servers it may go to (profile ids), and their names. */
  servers: string[];
  serverNames: string[];
}

export async function queueCommand(
  engine: Engine,
  args: Args,
  out: NodeJS.WritableStream,
  err: NodeJS.WritableStream,
): Promise<number> {
  const q = args.queue!;
  // Only resume sends: the others change the journal and nothing else.
  if (q.action !== 'resume') engine.jobs.service.dispatcher.close();
  const [profileId] = args.server
    ? await resolveServers(engine, [args.server], { create: false, ...(args.kind ? { kind: args.kind } : {}) })
    : [];
  const name = profileId ? serverName(engine, profileId) : '';
  // With --json, stdout is the queue as JSON and nothing else.
  const note = args.json ? err : out;
  let code: number = EXIT.ok;
  switch (q.action) {
    case 'list':
      writeQueue(engine, args.json, out, profileId);
      return EXIT.ok;
    case 'pause':
      await engine.invoke('queue.pause', profileId ? { profileId } : {});
      note.write(
        profileId
          ? `Sending to ${name} is paused: nothing more goes to it (what is on it runs on). Resume with: comfy-desk queue resume --server ${shellWord(name)}\n`
          : 'Sending is paused: nothing more goes to any server (what is on them runs on). Resume with: comfy-desk queue resume\n',
      );
      break;
    case 'resume':
      code = await resume(engine, args, profileId, note, err);
      break;
    case 'move':
      await move(engine, q.ids, q.to, q.anchor, note);
      break;
    case 'window': {
      const state = await engine.invoke('queue.setWindow', { profileId: profileId!, window: q.window });
      const server = state.servers.find((s) => s.profileId === profileId)!;
      note.write(
        `${name}: at most ${server.window} of ours on it at once${server.defaultWindow ? ` (the default for a ${server.kind} server)` : ''}.\n`,
      );
      break;
    }
  }
  if (args.json) writeQueue(engine, true, out);
  return code;
}

/** The held jobs, first to go first, as the dispatcher sees them. */
export function heldRows(engine: Engine, onlyProfile?: string): HeldRow[] {
  const batches = new Map<string, BatchSummary | null>();
  const batchOf = (id: string) => {
    if (!batches.has(id)) batches.set(id, engine.jobs.queue.batch(id));
    return batches.get(id) ?? null;
  };
  const names = new Map<string, string>();
  const nameOf = (id: string) => {
    if (!names.has(id)) names.set(id, serverName(engine, id));
    return names.get(id)!;
  };
  return engine.jobs.queue
    .held()
    .map((h, i): HeldRow => {
      const servers = h.pinned ? [h.profileId] : h.route;
      const batch = h.batchId ? batchOf(h.batchId) : null;
      return {
        position: i + 1,
        id: h.id,
        workflow: h.workflowName,
        batch: batch ? { id: batch.id, name: batch.name, paused: batch.paused } : null,
        servers,
        serverNames: servers.map(nameOf),
      };
    })
    .filter((row) => !onlyProfile || row.servers.includes(onlyProfile));
}

function writeQueue(engine: Engine, json: boolean, out: NodeJS.WritableStream, onlyProfile?: string): void {
  const state = engine.jobs.queueState();
  // This process has no connections: whether a server is up is the app's to say.
  const servers = state.servers
    .filter((s) => !onlyProfile || s.profileId === onlyProfile)
    .map(({ online: _online, ...s }) => s);
  const held = heldRows(engine, onlyProfile);
  if (json) {
    out.write(JSON.stringify({ paused: state.paused, spread: state.spread, servers, held }, null, 2) + '\n');
    return;
  }
  out.write(state.paused ? 'Sending: paused (resume with: comfy-desk queue resume)\n' : 'Sending: on\n');
  out.write('Servers:\n');
  const width = Math.max(10, ...servers.map((s) => s.name.length + s.kind.length + 3));
  for (const s of servers) {
    const window = `window ${s.window}${s.defaultWindow ? ' (default)' : ''}`;
    out.write(
      `  ${`${s.name} (${s.kind})`.padEnd(width)}  ${window.padEnd(18)}  on it ${String(s.inFlight).padEnd(3)}  held ${s.held}${s.paused ? '  paused' : ''}\n`,
    );
  }
  if (held.length === 0) {
    out.write('No job is held.\n');
    return;
  }
  const spread = state.spread > 0 ? `; ${state.spread} may go to several servers` : '';
  out.write(`Held jobs (${held.length}${spread}), first to go first:\n`);
  const pos = String(held.length).length;
  for (const row of held) {
    const batch = row.batch ? `  batch "${row.batch.name}"${row.batch.paused ? ' (paused)' : ''}` : '';
    out.write(
      `  ${String(row.position).padStart(pos)}  ${row.id}  ${row.workflow}${batch}  → ${row.serverNames.join(' or ')}\n`,
    );
  }
}

/** A held job by its id or the start of it (as the other commands print them: 8 characters). */
function findHeld(engine: Engine, held: HeldJob[], text: string, flag: string): string {
  const exact = held.find((h) => h.id === text);
  if (exact) return exact.id;
  const starting = held.filter((h) => h.id.startsWith(text));
  if (starting.length === 1 && text.length >= 4) return starting[0]!.id;
  if (starting.length > 1)
    throw new UsageError(`${flag} ${text}: ${starting.length} held jobs start with that; give more of the id.`);
  const job = engine.jobs.journal.get(text);
  if (job) throw new UsageError(`${flag} ${text}: that job is not held in the queue (it is ${job.state}).`);
  throw new UsageError(`${flag} ${text}: no job held in the queue has that id (see: comfy-desk queue list).`);
}

async function move(
  engine: Engine,
  texts: string[],
  to: MovePlace,
  anchorText: string | undefined,
  note: NodeJS.WritableStream,
): Promise<void> {
  const held = engine.jobs.queue.held();
  const ids = [...new Set(texts.map((t) => findHeld(engine, held, t, 'queue move')))];
  const anchor = anchorText !== undefined ? findHeld(engine, held, anchorText, `--${to}`) : undefined;
  if (anchor && ids.includes(anchor))
    throw new UsageError(`--${to} ${anchorText}: that job is one of those moved; name another.`);
  // Through the contract, as the window does it.
  const { moved } = await engine.invoke('queue.move', { ids, to, ...(anchor ? { anchor } : {}) });
  const place = to === 'front' ? 'to the front' : to === 'back' ? 'to the back' : `${to} ${anchor}`;
  note.write(`Moved ${moved} job(s) ${place}. Now:\n`);
  const order = engine.jobs.queue.held().map((h) => h.id);
  for (const id of ids) note.write(`  ${order.indexOf(id) + 1}  ${id}\n`);
}

/** Sends what the servers have room for now; says what waits for a place and what a pause holds. */
async function resume(
  engine: Engine,
  args: Args,
  profileId: string | undefined,
  note: NodeJS.WritableStream,
  err: NodeJS.WritableStream,
): Promise<number> {
  const state = await engine.invoke('queue.resume', profileId ? { profileId } : {});
  note.write(profileId ? `Sending to ${serverName(engine, profileId)} resumed.\n` : 'Sending resumed.\n');
  if (state.paused) note.write('Sending as a whole is still paused (comfy-desk queue resume).\n');
  const held = engine.jobs.queue.held();
  if (held.length === 0) {
    note.write('No job is held.\n');
    return EXIT.ok;
  }
  const servers = [...new Set(held.flatMap((h) => h.route))].filter((id) => engine.settings.getProfile(id));
  const envKey = process.env.COMFY_API_KEY;
  if (envKey) {
    // One key: to the server named, or the one Comfy Cloud server among them.
    const cloud = servers.filter((id) => engine.settings.getProfile(id)?.kind === 'cloud');
    const target = profileId ?? (cloud.length === 1 ? cloud[0] : undefined);
    if (target) engine.keys.useForSession(target, envKey);
  }
  await engine.jobs.start({ watchOthers: true, indexImages: false });
  for (const id of servers) engine.jobs.session(id);
  // Jobs left on a server when the last process closed count against its window until they are
  // read back: read them first (a few seconds at most), so their places are known to be free.
  await Promise.race([
    Promise.all(servers.map((id) => engine.jobs.service.reconcile(id).catch(() => undefined))),
    new Promise((r) => setTimeout(r, 5000).unref()),
  ]);
  const ids = held.map((h) => h.id);
  const end = await watchJobs(
    engine,
    ids,
    { goal: 'placed', timeoutMs: args.timeoutMs ?? DEFAULT_SUBMIT_TIMEOUT_S * 1000, nameServers: true },
    err,
  );
  if (end.kind !== 'done') {
    err.write(`${end.kind === 'needs_person' ? 'The server refused: ' : ''}${engine.redact(end.message)}\n`);
    const left = end.jobs.filter((j) => j.state === 'outbox').length;
    if (left > 0) err.write(`${left} job(s) stay held; the app (or the next comfy-desk run) sends them.\n`);
    return EXIT.server;
  }
  const aside = new Set(end.held.map((h) => h.job.id));
  const sent: JobSummary[] = end.jobs.filter((j) => !aside.has(j.id)).map((j) => engine.jobs.journal.get(j.id) ?? j);
  note.write(`Sent ${sent.length} job(s)${sent.length ? `: ${countByServer(engine, sent)}` : ''}.\n`);
  const byReason = new Map<string, number>();
  for (const h of end.held) byReason.set(h.reason, (byReason.get(h.reason) ?? 0) + 1);
  for (const [reason, n] of byReason) {
    if (reason.startsWith('waiting for a place'))
      note.write(
        `${n} job(s) ${reason}: they go as places free up while Comfy Desk runs (the app, a comfy-desk run, or queue resume again).\n`,
      );
    else note.write(`${n} job(s) held: ${n === 1 ? reason : reason.replace(/\bit goes\b/, 'they go')}.\n`);
  }
  return EXIT.ok;
}
