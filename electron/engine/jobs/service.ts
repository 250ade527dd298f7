// Jobs from submit to stored outputs: the outbox, idempotent submission, reconcile, cancel/retry,
// and downloads. The journal is written first; the renderer hears about it second.
import { randomUUID } from 'node:crypto';
import { DeskError, dispositionOf } from '../../../shared/errors';
import type { JobError, JobState, JobSummary, NodeProblem, OutputItem } from '../../../shared/jobs';
import { isFinalJobState } from '../../../shared/jobs';
import type { RemoteJob } from '../cloud/api';
import { jobErrorOf } from '../cloud/messages';
import { backoff } from '../cloud/http';
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
import type { Downloader } from './downloads';
import type { ServerSession } from './session';

export interface SubmitRequest {
  profileId: string;
  workflow: ApiWorkflow;
  name: string;
  inputs?: Record<string, unknown>;
  count?: number;
  seed?: SeedStrategy;
}

export interface JobServiceDeps {
  journal: JobJournal;
  downloads: Downloader;
  /** The live session of a profile (created on demand). */
  session(profileId: string): ServerSession;
  apiKey(profileId: string): Promise<string | null>;
  objectInfo(profileId: string): Record<string, unknown> | null;
  jobChanged(job: JobSummary): void;
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

export class JobService {
  private readonly pumping = new Map<string, Promise<void>>();
  private readonly retryTimers = new Map<string, NodeJS.Timeout>();
  private readonly retryAttempts = new Map<string, number>();
  private readonly retryDelay = new Map<string, number>();
  /** The server's Retry-After, per profile: nothing is sent before it. */
  private readonly notBefore = new Map<string, number>();
  private closed = false;

  constructor(private readonly deps: JobServiceDeps) {}

  /** Journals N jobs at once (they show in the queue right away) and starts sending them. */
  submit(request: SubmitRequest): JobSummary[] {
    const { journal } = this.deps;
    const count = request.count ?? 1;
    const runs = withSeeds(request.workflow, count, request.seed ?? 'fixed');
    const jobs = journal.transaction(() => {
      const workflowId = journal.saveWorkflow(request.workflow, request.name);
      return runs.map((prompt) =>
        journal.createJob({
          id: randomUUID(),
          profileId: request.profileId,
          workflowId,
          prompt,
          inputs: request.inputs ?? {},
          state: 'outbox',
          promptText: promptTextOf(prompt),
          cause: count > 1 ? `submitted by the user (${count} runs)` : 'submitted by the user',
        }),
      );
    });
    for (const job of jobs) this.deps.jobChanged(toSummary(job));
    this.pump(request.profileId);
    return jobs.map(toSummary);
  }

  /** Sends the profile's outbox in order; one pump per profile at a time. */
  pump(profileId: string): Promise<void> {
    const running = this.pumping.get(profileId);
    if (running) return running;
    const run = this.drainOutbox(profileId)
      .catch((err: unknown) => {
        // Closing the engine mid-send ends here (the journal is gone); anything else is logged.
        if (!this.closed) this.deps.log.warn('outbox: sending failed', { error: (err as Error).message });
      })
      .finally(() => this.pumping.delete(profileId));
    this.pumping.set(profileId, run);
    return run;
  }

  private async drainOutbox(profileId: string): Promise<void> {
    const { journal } = this.deps;
    for (;;) {
      if (this.closed) return;
      // Whoever asks for a pump (a submit, a reconnect, a reconcile), a Retry-After still holds.
      const wait = (this.notBefore.get(profileId) ?? 0) - Date.now();
      if (wait > 0) {
        this.retryDelay.set(profileId, wait);
        this.scheduleRetry(profileId);
        return;
      }
      let job: JobRecord | null = null;
      for (const candidate of journal.openJobs()) {
        if (candidate.profileId !== profileId) continue;
        // A job with a prompt_id is on the server already: reconcile follows it, it is never sent again.
        if (candidate.promptId) continue;
        if (candidate.state !== 'outbox' && candidate.state !== 'submitting') continue;
        job = journal.claimSubmit(candidate.id, senderGone);
        if (job) break;
      }
      if (!job) {
        this.retryAttempts.delete(profileId);
        return;
      }
      const sent = await this.send(job);
      if (!sent) {
        this.scheduleRetry(profileId);
        return;
      }
      this.retryAttempts.delete(profileId);
    }
  }

  /** Returns false when the server could not be reached: the outbox waits and tries again later. */
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
    journal.transaction(() => {
      journal.countSubmitAttempt(job.id);
      journal.transition(job.id, 'submitting', 'outbox: sending to the server');
    });
    this.emit(job.id);
    const key = await this.deps.apiKey(job.profileId).catch(() => null);
    const extra: Record<string, unknown> = { [JOB_ID_FIELD]: job.id };
    // Partner nodes bill the account through this key: added on the wire only, never journaled.
    if (key && hasPartnerNodes(job.prompt as ApiWorkflow, this.deps.objectInfo(job.profileId))) {
      extra.api_key_comfy_org = key;
    }
    try {
      const { promptId, number } = await session.api.submit({
        prompt: job.prompt,
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
    // Network trouble, 5xx, 429, or something only the person can fix (key, credits, access):
    // the job waits in the outbox and says why. If the request may have reached the server, the
    // next attempt looks it up first (submitAttempts > 0).
    // Every job waiting behind it waits for the same reason: each says so.
    // (Not those another live process is sending: the app and the command line may share a journal.)
    const waiting = this.deps.journal
      .openJobs()
      .filter(
        (j) =>
          j.profileId === job.profileId && (j.id === job.id || (j.state === 'outbox' && senderGone(j.submitOwner))),
      )
      .map((j) => j.id);
    this.wait(job.profileId, waiting, e);
    this.deps.log.warn('outbox: submit did not go through; will retry', { job: job.id, error: e.message });
    return false;
  }

  /** Jobs stay in the outbox, journaled with why and when the next attempt is. */
  private wait(profileId: string, jobIds: string[], err: DeskError): void {
    const needsPerson = dispositionOf(err) === 'person';
    const delay = this.nextDelay(profileId, err);
    const waiting = { message: err.message, needsPerson, retryAt: Date.now() + delay };
    // Nothing is sent before then, whoever asks for a pump (a reconcile, a reconnect): a server
    // that asked us to wait, or a refusal only the person can fix, would only be hammered.
    if (needsPerson) this.notBefore.set(profileId, Date.now() + delay);
    else if (err.retryAfterMs !== undefined) this.notBefore.set(profileId, Date.now() + err.retryAfterMs);
    for (const id of jobIds) this.move(id, 'outbox', `submit: ${err.message}`, { waiting });
    this.retryDelay.set(profileId, delay);
  }

  /** Backoff with jitter; the server's Retry-After when it gave one; slow when only the person can help. */
  private nextDelay(profileId: string, err: DeskError): number {
    const attempt = (this.retryAttempts.get(profileId) ?? 0) + 1;
    this.retryAttempts.set(profileId, attempt);
    if (dispositionOf(err) === 'person') return PERSON_RETRY_MS;
    return Math.max(err.retryAfterMs ?? 0, backoff(attempt, this.deps.retryBaseMs ?? 1000, 60_000));
  }

  private scheduleRetry(profileId: string): void {
    if (this.closed || this.retryTimers.has(profileId)) return;
    const delay = this.retryDelay.get(profileId) ?? backoff(1, this.deps.retryBaseMs ?? 1000, 60_000);
    const timer = setTimeout(() => {
      this.retryTimers.delete(profileId);
      void this.pump(profileId);
    }, delay);
    this.retryTimers.set(profileId, timer);
  }

  /** The person acted (a new key, another address, "send now"): waits end and the outbox is sent at once. */
  retryNow(profileId: string): void {
    this.notBefore.delete(profileId);
    this.serverReachable(profileId);
  }

  /** The server is reachable again (socket open): send at once rather than wait for the backoff. */
  serverReachable(profileId: string): void {
    const timer = this.retryTimers.get(profileId);
    if (timer) {
      clearTimeout(timer);
      this.retryTimers.delete(profileId);
    }
    this.retryAttempts.delete(profileId);
    this.retryDelay.delete(profileId);
    void this.pump(profileId);
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

  /** Checks every open job of a profile against the server: missed messages do not matter. */
  async reconcile(profileId: string): Promise<void> {
    const session = this.deps.session(profileId);
    const open = this.deps.journal.openJobs().filter((j) => j.profileId === profileId && j.promptId);
    for (const job of open) {
      if (this.closed) return;
      try {
        const remote = await this.remoteState(session, job.promptId!);
        if (remote) this.adopt(job, remote, 'reconcile: server state');
        else if (job.state === 'pending' || job.state === 'running') this.maybeLost(job);
      } catch (err) {
        this.deps.log.warn('reconcile failed', { job: job.id, error: (err as Error).message });
        if (err instanceof DeskError && (err.code === 'network' || err.code === 'unauthorized')) return;
      }
    }
    void this.pump(profileId);
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
    const { api } = session;
    if (session.profile.kind === 'cloud') {
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
    // A local server has no status route: its queue says pending/running, its history the rest.
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
    const job = this.mustGet(jobId);
    const [summary] = this.submit({
      profileId: job.profileId,
      workflow: job.prompt as ApiWorkflow,
      name: job.workflowName,
      inputs: job.inputs as Record<string, unknown>,
      seed: newSeed ? 'random' : 'fixed',
    });
    this.deps.journal.appendEvent(jobId, 'rerun', `run again as job ${summary!.id}`);
    return summary!;
  }

  close(): void {
    this.closed = true;
    for (const timer of this.retryTimers.values()) clearTimeout(timer);
    this.retryTimers.clear();
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

  private emit(jobId: string): void {
    const job = this.deps.journal.get(jobId);
    if (job) this.deps.jobChanged(toSummary(job));
  }
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
