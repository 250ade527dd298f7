// Jobs from submit to stored outputs: the outbox, idempotent submission, reconcile, cancel/retry,
// and downloads. The journal is written first; the renderer hears about it second.
import { randomUUID } from 'node:crypto';
import { DeskError, dispositionOf } from '../../../shared/errors';
import type { JobError, JobState, JobSummary, NodeProblem, OutputItem } from '../../../shared/jobs';
import { isFinalJobState } from '../../../shared/jobs';
import type { RemoteJob } from '../cloud/api';
import { jobErrorOf } from '../cloud/messages';
import { canonicalJson, SUBMIT_OWNER, toSummary, type JobJournal, type JobRecord } from '../journal/jobs';
import { isAlive } from '../store/part-lock';
import {
  hasPartnerNodes,
  nodeTitle,
  promptTextOf,
  withSeeds,
  type ApiWorkflow,
  type SeedStrategy,
} from '../workflows/api-format';
import { MAX_BATCH_RUNS, type BatchKind, type SweepAxis } from '../../../shared/queue';
import type { NewBatch, QueueJournal } from '../journal/queue';
import { graphWithValues } from '../workflows/graph-values';
import { Dispatcher } from './dispatcher';
import type { Downloader } from './downloads';
import type { Router } from './routing';
import type { ServerSession } from './session';

export interface SubmitRequest {
  profileId: string;
  workflow: ApiWorkflow;
  name: string;
  inputs?: Record<string, unknown>;
  count?: number;
  seed?: SeedStrategy;
  /** Spread over these servers (the first is `profileId`): each job goes where it would finish first. */
  profileIds?: string[];
  /** Vary one or two inputs: a job for every combination (times `count`). */
  sweep?: SweepAxis[];
  /** Name and colour of the batch (one is made for more than one run, or when named). */
  batch?: { name?: string; color?: string | null; kind?: BatchKind };
  /** The UI-format workflow `workflow` was converted from: kept, and sent as extra_pnginfo. */
  uiWorkflow?: Record<string, unknown> | null;
}

export interface JobServiceDeps {
  journal: JobJournal;
  queue: QueueJournal;
  router: Router;
  downloads: Downloader;
  /** The live session of a profile (created on demand). */
  session(profileId: string): ServerSession;
  /** Whether a profile's socket is open now (without making a session). */
  online(profileId: string): boolean;
  apiKey(profileId: string): Promise<string | null>;
  objectInfo(profileId: string): Record<string, unknown> | null;
  /** UI-format workflows, kept once by content. */
  uiWorkflows: { save(ui: Record<string, unknown>): string; get(id: string | null): Record<string, unknown> | null };
  jobChanged(job: JobSummary): void;
  batchChanged(batchId: string): void;
  /** Journals which earlier outputs a new job takes as inputs (lineage). */
  linkInputs(jobId: string, prompt: ApiWorkflow): void;
  log: { info(m: string, f?: Record<string, unknown>): void; warn(m: string, f?: Record<string, unknown>): void };
  /** Base delay of the outbox's retry backoff (tests make it short). */
  retryBaseMs?: number;
}

/** The field in extra_data that carries our job id, so a job can be found after an unknown outcome. */
export const JOB_ID_FIELD = 'comfy_desk_job_id';

/**
 * Whether the process that was sending a job is gone: not running any more, or silent for so
 * long that its pid may have been reused. This process's own claim counts as gone: its sends
 * always end in another state, so a leftover one is from before a crash of ours.
 */
function senderGone(owner: string | null): boolean {
  if (!owner || owner.startsWith(`${SUBMIT_OWNER}:`)) return true;
  const [pid, , claimedAt] = owner.split(':').map(Number);
  return !isAlive(pid ?? 0) || Date.now() - (claimedAt ?? 0) > 10 * 60_000;
}

/** A job that needs the person (key, credits, access) is tried again this rarely on its own. */
const PERSON_RETRY_MS = 5 * 60_000;

/** Statuses that say the server did not take the job: it may go to another server without a lookup. */
const REFUSED_STATUSES = new Set([401, 402, 403, 429, 503]);

export class JobService {
  readonly dispatcher: Dispatcher;
  private closed = false;

  constructor(private readonly deps: JobServiceDeps) {
    this.dispatcher = new Dispatcher({
      queue: deps.queue,
      send: (jobId, profileId) => this.sendHeld(jobId, profileId),
      online: (id) => deps.online(id),
      canRun: (job, id) =>
        deps.router.canRun(job.id, () => (deps.journal.get(job.id)?.prompt as ApiWorkflow | undefined) ?? null, id),
      mine: (job) => senderGone(job.submitOwner),
      unrunnable: (ids) => {
        for (const id of ids)
          this.move(id, 'outbox', 'dispatch: none of its servers can run it', {
            waiting: {
              message: 'None of the servers it may run on has its nodes, models or input files. Change its servers.',
              needsPerson: true,
              retryAt: null,
            },
          });
      },
      log: deps.log,
      ...(deps.retryBaseMs !== undefined ? { retryBaseMs: deps.retryBaseMs } : {}),
    });
  }

  /**
   * Journals the runs at once (they show in the queue right away, held in the app's queue) and
   * wakes the dispatcher, which releases them as the servers have room. More than one run makes a
   * batch: a count, a sweep (the product of its axes' values), or a spread over several servers.
   */
  submit(request: SubmitRequest): JobSummary[] {
    const count = request.count ?? 1;
    const axes = request.sweep ?? [];
    const route = [...new Set([request.profileId, ...(request.profileIds ?? [])])];
    const points = sweepPoints(axes);
    if (points.length * count > MAX_BATCH_RUNS)
      throw new DeskError(
        'invalid_input',
        `That makes ${points.length * count} runs; at most ${MAX_BATCH_RUNS} at once.`,
      );
    for (const axis of axes) {
      if (!request.workflow[axis.nodeId])
        throw new DeskError('invalid_input', `The workflow has no node ${axis.nodeId} to sweep.`);
    }
    const uiWorkflowId = request.uiWorkflow ? this.deps.uiWorkflows.save(request.uiWorkflow) : null;
    const runs: Run[] = points.flatMap((point) => {
      const varied = structuredClone(request.workflow);
      axes.forEach((axis, i) => (varied[axis.nodeId]!.inputs[axis.input] = axis.values[point[i]!]!));
      return withSeeds(varied, count, request.seed ?? 'fixed').map((prompt) => ({
        prompt,
        workflow: request.workflow,
        name: request.name,
        inputs: request.inputs ?? {},
        route,
        point: axes.length > 0 ? point : null,
        uiWorkflowId,
      }));
    });
    const kind: BatchKind = request.batch?.kind ?? (axes.length > 0 ? 'sweep' : 'count');
    const batch =
      runs.length > 1 || route.length > 1 || request.batch?.name !== undefined
        ? {
            name: request.batch?.name ?? defaultBatchName(request.name, kind, runs.length, axes),
            color: request.batch?.color ?? null,
            kind,
            profileIds: route,
            axes,
          }
        : null;
    return this.enqueue(runs, batch);
  }

  /**
   * Journals runs as held jobs, in one transaction, after everything already queued; in a new
   * batch, in an existing one (a retry), or in none.
   */
  enqueue(runs: Run[], batch: NewBatch | string | null, cause?: string): JobSummary[] {
    const { journal, queue } = this.deps;
    let batchId: string | null = typeof batch === 'string' ? batch : null;
    const workflowIds = new Map<ApiWorkflow, string>();
    const jobs = journal.transaction(() => {
      if (batch && typeof batch !== 'string') batchId = queue.createBatch(batch);
      const rank = queue.nextRank();
      const why = cause ?? (runs.length > 1 ? `submitted by the user (${runs.length} runs)` : 'submitted by the user');
      return runs.map((run, i) => {
        let workflowId = workflowIds.get(run.workflow);
        if (!workflowId) workflowIds.set(run.workflow, (workflowId = journal.saveWorkflow(run.workflow, run.name)));
        return journal.createJob({
          id: randomUUID(),
          profileId: run.route[0]!,
          workflowId,
          prompt: run.prompt,
          inputs: run.inputs,
          state: 'outbox',
          promptText: promptTextOf(run.prompt),
          cause: why,
          batchId,
          queueRank: rank + i,
          route: run.route,
          sweep: run.point,
          uiWorkflowId: run.uiWorkflowId ?? null,
        });
      });
    });
    journal.transaction(() => jobs.forEach((job) => this.deps.linkInputs(job.id, job.prompt as ApiWorkflow)));
    for (const job of jobs) this.deps.jobChanged(toSummary(job));
    if (batchId) this.deps.batchChanged(batchId);
    this.dispatcher.wake();
    return jobs.map(toSummary);
  }

  /** Releases what the servers have room for (kept for callers that name a server: it plans for all). */
  pump(_profileId?: string): Promise<void> {
    this.dispatcher.wake();
    return this.dispatcher.idle();
  }

  /** The person acted (a new key, another address, "send now"): waits end and the queue is sent at once. */
  retryNow(profileId: string): void {
    this.dispatcher.retryNow(profileId);
  }

  /** The server is reachable again (socket open): send at once rather than wait for the backoff. */
  serverReachable(profileId: string): void {
    this.deps.router.forget(profileId);
    this.dispatcher.forgetTold();
    this.dispatcher.serverReachable(profileId);
  }

  /** The dispatcher gives this server this job: claimed, assigned, sent. False when the server could not take it. */
  private async sendHeld(jobId: string, profileId: string): Promise<boolean> {
    const { journal, queue } = this.deps;
    if (this.closed) return false;
    // Claimed first: a job another process has claimed is never pointed at another server.
    const claimed = journal.claimSubmit(jobId, senderGone);
    if (!claimed) return false;
    if (claimed.profileId === profileId) return this.send(claimed);
    queue.assign(jobId, profileId);
    return this.send(journal.mustGet(jobId));
  }

  /** Returns false when the server could not be reached: the job waits and is tried again later. */
  private async send(job: JobRecord): Promise<boolean> {
    const { journal } = this.deps;
    const session = this.deps.session(job.profileId);
    // Sent before without a clear answer (timeout, crash): look first, never submit twice.
    if (job.submitAttempts > 0) {
      let found: RemoteJob | null;
      try {
        found = await this.lookup(session, job);
      } catch (err) {
        this.deps.log.warn('outbox: lookup failed', { job: job.id, error: (err as Error).message });
        this.wait(job.profileId, [job.id], err instanceof DeskError ? err : new DeskError('network', String(err)));
        return false;
      }
      if (found) {
        this.adopt(job, found, 'lookup: the server already has this job');
        return true;
      }
      if (job.state === 'submitting') this.move(job.id, 'outbox', 'lookup: the server does not have it; sending again');
    }
    let prompt: ApiWorkflow;
    try {
      // Input images go up to this server first when they were uploaded to another.
      prompt = await this.deps.router.prepare(job.prompt as ApiWorkflow, job.profileId);
      if (prompt !== job.prompt)
        journal.setPrompt(job.id, prompt, 'dispatch: its input images were uploaded to this server');
    } catch (err) {
      return this.submitFailed(job, err);
    }
    journal.transaction(() => {
      journal.countSubmitAttempt(job.id);
      journal.transition(job.id, 'submitting', `outbox: sending to ${session.profile.name}`);
    });
    this.emit(job.id);
    const key = await this.deps.apiKey(job.profileId).catch(() => null);
    const extra: Record<string, unknown> = { [JOB_ID_FIELD]: job.id };
    // Partner nodes bill the account through this key: added on the wire only, never journaled.
    if (key && hasPartnerNodes(prompt, this.deps.objectInfo(job.profileId))) {
      extra.api_key_comfy_org = key;
    }
    // As ComfyUI's frontend does: SaveImage embeds it, so the output reopens in ComfyUI as a graph.
    const ui = graphWithValues(
      this.deps.uiWorkflows.get(job.uiWorkflowId),
      this.deps.objectInfo(job.profileId),
      prompt,
    );
    if (ui) extra.extra_pnginfo = { workflow: ui };
    try {
      const { promptId, number } = await session.api.submit({
        prompt,
        client_id: session.clientId,
        ...(session.profile.kind === 'local' ? { prompt_id: job.id } : {}),
        extra_data: extra,
      });
      session.tracker.promptIdAssigned(promptId, job.id);
      journal.transition(job.id, 'pending', 'submit: accepted by the server', {
        promptId,
        submittedAt: Date.now(),
        queuePosition: number,
      });
      this.deps.router.done(job.id);
      this.emit(job.id);
      return true;
    } catch (err) {
      return this.submitFailed(job, err);
    }
  }

  private submitFailed(job: JobRecord, err: unknown): boolean {
    const e = err instanceof DeskError ? err : new DeskError('internal', String(err));
    if (e.code === 'rejected') {
      this.fail(job.id, 'submit: the server refused the workflow', rejectionOf(job.prompt, e));
      return true;
    }
    if (dispositionOf(e) === 'final') {
      this.fail(job.id, `submit: ${e.code}`, { kind: 'server', message: e.message });
      return true;
    }
    // The server answered that it did not take it: nothing to look up, it may go elsewhere.
    if (e.status !== undefined && REFUSED_STATUSES.has(e.status)) this.deps.journal.unpin(job.id);
    // Network trouble, 5xx, 429, or something only the person can fix (key, credits, access):
    // the job waits in the outbox and says why. If the request may have reached the server, the
    // next attempt looks it up first (submitAttempts > 0).
    // Every job that can only go to this server waits for the same reason: each says so (not
    // those another live process is sending: the app and the command line may share a journal).
    const waiting = this.deps.queue
      .held()
      .filter(
        (h) =>
          h.id === job.id ||
          (senderGone(h.submitOwner) &&
            (h.pinned ? h.profileId === job.profileId : h.route.length === 1 && h.route[0] === job.profileId)),
      )
      .map((h) => h.id);
    if (!waiting.includes(job.id)) waiting.push(job.id);
    this.wait(job.profileId, waiting, e);
    this.deps.log.warn('outbox: submit did not go through; will retry', { job: job.id, error: e.message });
    return false;
  }

  /** Jobs stay in the outbox, journaled with why and when the next attempt is. */
  private wait(profileId: string, jobIds: string[], err: DeskError): void {
    const needsPerson = dispositionOf(err) === 'person';
    const delay = needsPerson ? PERSON_RETRY_MS : this.dispatcher.nextDelay(profileId, err.retryAfterMs ?? 0);
    const waiting = { message: err.message, needsPerson, retryAt: Date.now() + delay };
    // Nothing is sent before then, whoever asks (a reconcile, a reconnect): a server that asked us
    // to wait, or a refusal only the person can fix, would only be hammered.
    this.dispatcher.holdBack(profileId, delay, needsPerson || err.retryAfterMs !== undefined);
    for (const id of jobIds) this.move(id, 'outbox', `submit: ${err.message}`, { waiting });
  }

  /** Finds a job on the server by its prompt_id or the job id we put in extra_data. */
  private async lookup(session: ServerSession, job: JobRecord): Promise<RemoteJob | null> {
    const { api } = session;
    if (session.profile.kind === 'local') {
      // We chose the prompt_id ourselves: it is the job id.
      const queue = await api.queue();
      const queued = [...queue.running, ...queue.pending].find((q) => q.promptId === job.id);
      if (queued) return queuedJob(job.id, queue.running.includes(queued) ? 'running' : 'pending');
      return api.history(job.id);
    }
    const queue = await api.queue();
    const wanted = canonicalJson(job.prompt);
    const claimed = new Set(this.deps.journal.openJobs().map((j) => j.promptId));
    for (const [list, status] of [
      [queue.running, 'running'],
      [queue.pending, 'pending'],
    ] as const) {
      const hit = list.find(
        (q) =>
          !claimed.has(q.promptId) &&
          (q.extraData?.[JOB_ID_FIELD] === job.id || (q.prompt && canonicalJson(q.prompt) === wanted)),
      );
      if (hit) return queuedJob(hit.promptId, status);
    }
    const history = await api.recentHistory(100);
    return history.find((h) => h.extraData?.[JOB_ID_FIELD] === job.id) ?? null;
  }

  /** Takes over what the server knows of a job (after a lookup or reconcile). */
  private adopt(job: JobRecord, remote: RemoteJob, cause: string): void {
    const { journal } = this.deps;
    const session = this.deps.session(job.profileId);
    session.tracker.promptIdAssigned(remote.promptId, job.id);
    const added: OutputItem[] = [];
    journal.transaction(() => {
      if (!job.promptId)
        journal.patch(job.id, { promptId: remote.promptId, submittedAt: job.submittedAt ?? Date.now() });
      for (const output of remote.outputs) {
        const { item, added: isNew } = journal.addOutput(job.id, output);
        if (isNew) added.push(item);
      }
      const state = stateOf(remote, job);
      const patch = {
        ...(remote.startedAt ? { startedAt: remote.startedAt } : {}),
        ...(isFinalJobState(state) ? { finishedAt: remote.finishedAt ?? Date.now() } : {}),
        ...(state === 'failed' ? { error: jobErrorOf(job.prompt, remote.error) } : {}),
      };
      // Walk through the states in between, so the journal keeps every transition.
      for (const step of pathTo(journal.mustGet(job.id).state, state)) journal.transition(job.id, step, cause, patch);
    });
    for (const item of added) this.deps.downloads.enqueue(item, job.profileId);
    this.emit(job.id);
  }

  /** Jobs on a server whose state the last check could not read, with why (the command line says it). */
  private readonly unreadable = new Map<string, string>();

  /** Why a job's state on its server could not be read at the last check; null when it was read. */
  statusUnreadable(jobId: string): string | null {
    return this.unreadable.get(jobId) ?? null;
  }

  /** Checks every open job of a profile against the server: missed messages do not matter. */
  async reconcile(profileId: string): Promise<void> {
    const session = this.deps.session(profileId);
    const open = this.deps.journal.openJobs().filter((j) => j.profileId === profileId && j.promptId);
    for (const [i, job] of open.entries()) {
      if (this.closed) return;
      try {
        const remote = await this.remoteState(session, job.promptId!);
        this.unreadable.delete(job.id);
        if (remote) this.adopt(job, remote, 'reconcile: server state');
        else if (job.state === 'pending' || job.state === 'running') this.maybeLost(job);
      } catch (err) {
        const message = (err as Error).message;
        this.deps.log.warn('reconcile failed', { job: job.id, error: message });
        if (err instanceof DeskError && (err.code === 'network' || err.code === 'unauthorized')) {
          // The server is out of reach: none of the rest can be read either.
          for (const rest of open.slice(i)) this.unreadable.set(rest.id, message);
          return;
        }
        this.unreadable.set(job.id, message);
      }
    }
    this.dispatcher.wake();
  }

  /** After a job completes on the socket, the detail is checked once for outputs the socket did not announce. */
  async verifyOutputs(jobId: string): Promise<void> {
    const job = this.deps.journal.get(jobId);
    if (!job?.promptId) return;
    const session = this.deps.session(job.profileId);
    try {
      const remote = await this.remoteState(session, job.promptId);
      if (remote) this.adopt(job, remote, 'verify: outputs from the job detail');
    } catch (err) {
      this.deps.log.warn('output check failed; reconcile will retry', { job: jobId, error: (err as Error).message });
    }
  }

  private async remoteState(session: ServerSession, promptId: string): Promise<RemoteJob | null> {
    if (session.profile.kind !== 'cloud') return this.queuedOrHistory(session, promptId);
    try {
      return await this.cloudState(session, promptId);
    } catch (err) {
      // The status and detail routes fail (a 5xx, a web page, nothing): the queue and the history may still say.
      if (dispositionOf(err) !== 'retry' && !(err instanceof DeskError && err.code === 'bad_response')) throw err;
      try {
        return await this.queuedOrHistory(session, promptId);
      } catch (other) {
        const reason = (other as Error).message;
        throw new DeskError(
          other instanceof DeskError ? other.code : 'network',
          `its status cannot be read: the job's status, its detail, the history and the queue all failed: ${reason}`,
          { cause: other },
        );
      }
    }
  }

  /** Cloud: the status route, then the detail (and the history for a status name we do not know). */
  private async cloudState(session: ServerSession, promptId: string): Promise<RemoteJob | null> {
    const { api } = session;
    const status = await api.jobStatus(promptId);
    if (!status) return null;
    if (status.status === 'pending' || status.status === 'running') return queuedJob(promptId, status.status);
    const detail = await api.job(promptId);
    if (status.status !== 'unknown')
      return detail ?? { ...queuedJob(promptId, status.status), error: errorOf(status.message) };
    // A status name we do not know: the detail, then the history, say how it ended.
    if (detail && detail.status !== 'unknown') return detail;
    const history = await api.history(promptId);
    return history && history.status !== 'unknown' ? history : queuedJob(promptId, 'running');
  }

  /** The queue says pending or running, the history the rest (a local server has no status route). */
  private async queuedOrHistory(session: ServerSession, promptId: string): Promise<RemoteJob | null> {
    const { api } = session;
    const queue = await api.queue();
    if (queue.running.some((q) => q.promptId === promptId)) return queuedJob(promptId, 'running');
    if (queue.pending.some((q) => q.promptId === promptId)) return queuedJob(promptId, 'pending');
    return api.history(promptId);
  }

  private readonly missing = new Map<string, number>();
  /** A job the server no longer knows, three checks in a row, is lost: said so, not left spinning. */
  private maybeLost(job: JobRecord): void {
    const seen = (this.missing.get(job.id) ?? 0) + 1;
    this.missing.set(job.id, seen);
    if (seen < 3) return;
    this.missing.delete(job.id);
    this.fail(job.id, 'reconcile: the server does not know this job any more', {
      kind: 'lost',
      message: 'The server no longer knows this job (it may have been deleted or expired). Retry to run it again.',
    });
  }

  async cancel(jobId: string): Promise<JobSummary> {
    const job = this.mustGet(jobId);
    if (isFinalJobState(job.state)) return toSummary(job);
    if (job.state === 'outbox' || job.state === 'draft') {
      this.move(jobId, 'cancelled', 'cancelled by the user before it was sent', { finishedAt: Date.now() });
      return toSummary(this.mustGet(jobId));
    }
    if (!job.promptId)
      throw new DeskError('conflict', 'This job is being sent right now; cancel it again in a moment.');
    const session = this.deps.session(job.profileId);
    if (job.state === 'running' && session.profile.kind === 'local') {
      await session.api.interrupt(job.promptId);
      this.deps.journal.appendEvent(jobId, 'cancel', 'the user asked to stop it (interrupt)');
    } else {
      // Cloud cancels a pending or a running job by deleting it from the queue (as its web client does).
      await session.api.deleteFromQueue([job.promptId]);
      if (job.state === 'pending') {
        this.move(jobId, 'cancelled', 'cancelled by the user', { finishedAt: Date.now(), queuePosition: null });
      } else {
        this.deps.journal.appendEvent(jobId, 'cancel', 'the user asked to stop it (queue delete)');
      }
    }
    return toSummary(this.mustGet(jobId));
  }

  async interrupt(profileId: string, jobId?: string): Promise<void> {
    const job = jobId ? this.mustGet(jobId) : null;
    await this.deps.session(profileId).api.interrupt(job?.promptId ?? undefined);
    if (job) this.deps.journal.appendEvent(job.id, 'interrupt', 'interrupted by the user');
  }

  /** Clears the server's pending queue and the local outbox of a profile. */
  async clearPending(profileId: string): Promise<number> {
    const waiting = this.deps.journal
      .openJobs()
      .filter((j) => j.profileId === profileId && (j.state === 'pending' || j.state === 'outbox'));
    if (waiting.some((j) => j.state === 'pending')) await this.deps.session(profileId).api.clearQueue();
    for (const job of waiting) {
      this.move(job.id, 'cancelled', 'the user cleared the pending jobs', {
        finishedAt: Date.now(),
        queuePosition: null,
      });
    }
    return waiting.length;
  }

  /** Runs a finished job's exact prompt again as a new job; `newSeed` picks fresh random seeds. */
  rerun(jobId: string, newSeed = false): JobSummary {
    return this.rerunMany([jobId], { newSeed, batch: null })[0]!;
  }

  /**
   * Runs jobs again, each on the servers it could run on: as a new batch (a re-run of a
   * selection or of a batch), into an existing batch (retrying its failed runs, which it then
   * counts in their place), or alone.
   */
  rerunMany(
    jobIds: string[],
    options: { newSeed: boolean; batch: NewBatch | string | null; replaces?: boolean },
  ): JobSummary[] {
    const originals = jobIds.map((id) => this.mustGet(id));
    const runs: Run[] = originals.map((job) => {
      const prompt = job.prompt as ApiWorkflow;
      return {
        prompt: options.newSeed ? withSeeds(prompt, 1, 'random')[0]! : prompt,
        workflow: prompt,
        name: job.workflowName,
        inputs: (job.inputs ?? {}) as Record<string, unknown>,
        route: job.route ?? [job.profileId],
        point: job.sweep,
        uiWorkflowId: job.uiWorkflowId,
      };
    });
    const made = this.enqueue(
      runs,
      options.batch,
      `run again (${originals.length === 1 ? `job ${originals[0]!.id}` : `${originals.length} jobs`})`,
    );
    this.deps.journal.transaction(() =>
      originals.forEach((job, i) => {
        this.deps.journal.appendEvent(job.id, 'rerun', `run again as job ${made[i]!.id}`);
        if (options.replaces) this.deps.journal.replacedBy(job.id, made[i]!.id);
      }),
    );
    return made;
  }

  close(): void {
    this.closed = true;
    this.dispatcher.close();
  }

  private mustGet(jobId: string): JobRecord {
    const job = this.deps.journal.get(jobId);
    if (!job) throw new DeskError('not_found', `There is no job ${jobId}.`);
    return job;
  }

  private move(jobId: string, to: JobState, cause: string, patch: Parameters<JobJournal['patch']>[1] = {}): void {
    this.deps.journal.transition(jobId, to, cause, patch);
    this.emit(jobId);
  }

  private fail(jobId: string, cause: string, error: JobError): void {
    this.move(jobId, 'failed', cause, { error, finishedAt: Date.now() });
  }

  /** Tells the window a job changed (after a change made outside the state machine: its order, its servers). */
  changed(jobId: string): void {
    this.emit(jobId);
  }

  private emit(jobId: string): void {
    const job = this.deps.journal.get(jobId);
    if (job) this.deps.jobChanged(toSummary(job));
  }
}

/** One run to journal: its prompt, the workflow it came from (saved by name), and where it may go. */
export interface Run {
  prompt: ApiWorkflow;
  workflow: ApiWorkflow;
  name: string;
  inputs: Record<string, unknown>;
  route: string[];
  point: number[] | null;
  /** The UI-format workflow it came from (ui_workflows), when there is one. */
  uiWorkflowId?: string | null;
}

/** Every point of a sweep: its index on each axis, the first axis slowest (rows, then columns). */
export function sweepPoints(axes: readonly SweepAxis[]): number[][] {
  return axes.reduce<number[][]>((points, axis) => points.flatMap((p) => axis.values.map((_, i) => [...p, i])), [[]]);
}

function defaultBatchName(name: string, kind: BatchKind, runs: number, axes: readonly SweepAxis[]): string {
  if (kind === 'sweep' && axes.length > 0) return `${name}: ${axes.map((a) => a.input).join(' × ')} sweep`;
  return `${name} × ${runs}`;
}

function queuedJob(promptId: string, status: RemoteJob['status']): RemoteJob {
  return {
    promptId,
    status,
    createdAt: null,
    startedAt: null,
    finishedAt: null,
    outputs: [],
    prompt: null,
    extraData: null,
    error: null,
  };
}

function errorOf(message: string | null): RemoteJob['error'] {
  return message ? { message } : null;
}

function stateOf(remote: RemoteJob, job: JobRecord): JobState {
  switch (remote.status) {
    case 'pending':
      return 'pending';
    case 'running':
    case 'unknown': // checked again later
      return 'running';
    case 'completed':
      return 'completed';
    case 'failed':
      return 'failed';
    case 'cancelled':
      // Stopped after it started is an interrupt; before, a cancel.
      return job.startedAt || job.state === 'running' || remote.startedAt ? 'interrupted' : 'cancelled';
  }
}

const ORDER: JobState[] = ['outbox', 'submitting', 'pending', 'running'];

/** The states to pass through from `from` to `to`; never backwards (a late "pending" after "running"). */
function pathTo(from: JobState, to: JobState): JobState[] {
  if (from === to) return [];
  const start = ORDER.indexOf(from);
  const end = ORDER.indexOf(to);
  // A final state: allowed from any open state but the outbox, which is left by being sent (a lost
  // answer to a submit, found by a lookup once the job had already finished).
  if (end < 0) return from === 'outbox' || from === 'draft' ? ['submitting', to] : [to];
  return start >= 0 && end > start ? ORDER.slice(start + 1, end + 1) : [];
}

/** A 400 from POST /prompt: the top error and every node_errors entry mapped to node and input. */
export function rejectionOf(prompt: Record<string, unknown>, err: DeskError): JobError {
  const body = (err.details ?? {}) as {
    error?: { message?: string; details?: string; type?: string };
    node_errors?: Record<
      string,
      {
        class_type?: string;
        errors?: { message?: string; details?: string; type?: string; extra_info?: { input_name?: string } }[];
      }
    >;
  };
  const top = body.error;
  const nodes: NodeProblem[] = Object.entries(body.node_errors ?? {}).map(([nodeId, entry]) => {
    const problem: NodeProblem = {
      nodeId,
      problems: (entry.errors ?? []).map((e) => ({
        message: [e.message, e.details].filter(Boolean).join(': ') || 'invalid',
        ...(e.extra_info?.input_name ? { input: e.extra_info.input_name } : {}),
        ...(e.type ? { type: e.type } : {}),
      })),
    };
    if (entry.class_type) problem.classType = entry.class_type;
    const title = nodeTitle(prompt, nodeId);
    if (title) problem.title = title;
    return problem;
  });
  const message = top?.message
    ? [top.message, top.details].filter(Boolean).join(': ')
    : 'The server refused the workflow.';
  return { kind: 'rejected', message, nodes };
}
