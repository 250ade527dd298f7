// Applies the server's WebSocket messages to the journal. Messages are queued and written in one
// transaction per tick (journal first, UI second), progress is coalesced to the latest value per
// job, and a message for a prompt we do not know yet (the socket can beat the HTTP answer of a
// submit) is held briefly and replayed once the prompt_id is known. Each message is applied in its
// own savepoint: one that fails is logged and rolled back alone, never the rest of its batch.
import type { JobProgress, OutputItem } from '../../../shared/jobs';
import { jobErrorOf, type ServerMessage } from '../cloud/messages';
import type { JobJournal, JobRecord } from '../journal/jobs';
import { nodeTitle } from '../workflows/api-format';

export interface TrackerHooks {
  /** After the journal was written: these jobs changed. */
  jobsChanged(ids: string[]): void;
  /** A new output to download. */
  outputAdded(item: OutputItem, job: JobRecord): void;
}

export interface TrackerLog {
  warn(message: string, fields?: Record<string, unknown>): void;
}

type Message = Exclude<ServerMessage, { type: 'status' }>;

/** How long messages for an unknown prompt_id are kept in case a submit is about to name it. */
const HOLD_MS = 60_000;
const HOLD_MAX_PER_PROMPT = 2_000;
/** Prompts held at once: a server inventing prompt_ids cannot grow memory without bound. */
const HOLD_MAX_PROMPTS = 500;
/** Messages kept while the journal refuses writes. */
const MAX_QUEUED = 50_000;

export class MessageTracker {
  private queue: Message[] = [];
  private flushScheduled = false;
  private readonly jobOfPrompt = new Map<string, string>();
  private readonly held = new Map<string, { since: number; messages: Message[] }>();
  private readonly progress = new Map<string, JobProgress>();
  private readonly finished = new Set<string>();
  /** The prompt executing now: binary previews of type 1 carry no prompt_id and belong to it. */
  private running: string | null = null;

  constructor(
    private readonly journal: JobJournal,
    private readonly profileId: string,
    private readonly hooks: TrackerHooks,
    private readonly log: TrackerLog = { warn: () => undefined },
  ) {}

  get runningPromptId(): string | null {
    return this.running;
  }

  jobIdForPrompt(promptId: string): string | null {
    return this.lookup(promptId);
  }

  /** Queues a message; it is written with the others of this tick. */
  push(message: ServerMessage): void {
    if (message.type === 'status') return;
    this.queue.push(message);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /** A submit learned its prompt_id: replay whatever arrived for it before. */
  promptIdAssigned(promptId: string, jobId: string): void {
    this.jobOfPrompt.set(promptId, jobId);
    const held = this.held.get(promptId);
    if (!held) return;
    this.held.delete(promptId);
    for (const m of held.messages) this.push(m);
  }

  /**
   * Writes everything queued, in one transaction. Public so tests and benchmarks can drain. Never
   * throws. The batch is first applied whole; if a message fails, it is applied again with each
   * message in its own savepoint, so the bad one is rolled back alone and the others are kept.
   */
  flush(): void {
    this.flushScheduled = false;
    if (this.queue.length === 0) return;
    const batch = this.queue;
    this.queue = [];
    const changed = new Set<string>();
    const added: { item: OutputItem; jobId: string }[] = [];
    // Messages for prompts not known yet: held once the batch is written (a rolled-back pass holds nothing).
    const holds: Message[] = [];
    const write = (alone: boolean): void => {
      changed.clear();
      added.length = 0;
      holds.length = 0;
      this.journal.transaction(() => {
        for (const message of batch) {
          if (alone) this.applyAlone(message, changed, added, holds);
          else this.apply(message, changed, added, holds);
        }
        for (const jobId of changed) {
          const p = this.progress.get(jobId);
          if (p) this.journal.setProgress(jobId, p);
        }
      });
    };
    try {
      try {
        write(false);
      } catch {
        write(true);
      }
    } catch (err) {
      // The journal itself failed (disk full, locked): keep the batch for the next tick.
      this.log.warn('tracker: the journal refused a batch; retrying', { error: (err as Error).message });
      this.queue = [...batch, ...this.queue].slice(-MAX_QUEUED);
      this.retryLater();
      return;
    }
    for (const message of holds) this.hold(message);
    for (const jobId of this.finished) this.progress.delete(jobId);
    this.finished.clear();
    this.dropStaleHolds();
    this.notify(() => changed.size > 0 && this.hooks.jobsChanged([...changed]));
    for (const { item, jobId } of added) {
      const job = this.journal.get(jobId);
      if (job) this.notify(() => this.hooks.outputAdded(item, job));
    }
  }

  /** One message in its own savepoint: if it throws, only it is rolled back. */
  private applyAlone(
    message: Message,
    changed: Set<string>,
    added: { item: OutputItem; jobId: string }[],
    holds: Message[],
  ): void {
    const before = { added: added.length, holds: holds.length };
    try {
      this.journal.transaction(() => this.apply(message, changed, added, holds));
    } catch (err) {
      added.length = before.added;
      holds.length = before.holds;
      this.log.warn('tracker: a message could not be applied; skipped', {
        type: message.type,
        error: (err as Error).message,
      });
    }
  }

  private notify(fn: () => unknown): void {
    try {
      fn();
    } catch (err) {
      this.log.warn('tracker: a listener failed', { error: (err as Error).message });
    }
  }

  private retryLater(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setTimeout(() => this.flush(), 250).unref?.();
  }

  private apply(
    message: ServerMessage,
    changed: Set<string>,
    added: { item: OutputItem; jobId: string }[],
    holds: Message[],
  ): void {
    if (message.type === 'status') return;
    const { promptId } = message;
    const jobId = this.lookup(promptId);
    if (!jobId) {
      holds.push(message);
      return;
    }
    const cause = `socket: ${message.type}`;
    switch (message.type) {
      case 'execution_start': {
        this.running = promptId;
        if (this.journal.transition(jobId, 'running', cause, { startedAt: message.at, queuePosition: null })) {
          changed.add(jobId);
        }
        this.progressOf(jobId).nodesDone = 0;
        this.done.set(jobId, new Set());
        break;
      }
      case 'execution_cached': {
        const p = this.progressOf(jobId);
        this.markDone(jobId, p, message.nodes);
        p.overall = overall(p);
        this.journal.appendEvent(jobId, 'cached', cause, { nodes: message.nodes });
        changed.add(jobId);
        break;
      }
      case 'executing': {
        const { node } = message;
        const p = this.progressOf(jobId);
        // The node that ran before this one is done (a server without progress_state says only this).
        if (p.nodeId && p.nodeId !== node) this.markDone(jobId, p, [p.nodeId]);
        p.nodeId = node;
        p.nodeTitle = node ? nodeTitle(this.promptOf(jobId), node) : null;
        p.value = 0;
        p.max = 0;
        p.overall = overall(p);
        if (node === null && this.running === promptId) this.running = null;
        changed.add(jobId);
        break;
      }
      case 'progress': {
        const p = this.progressOf(jobId);
        p.value = message.value;
        p.max = message.max;
        if (message.node !== null && message.node !== p.nodeId) {
          p.nodeId = message.node;
          p.nodeTitle = nodeTitle(this.promptOf(jobId), message.node);
        }
        p.overall = overall(p);
        changed.add(jobId);
        break;
      }
      case 'progress_state': {
        const p = this.progressOf(jobId);
        this.markDone(
          jobId,
          p,
          message.nodes.filter((n) => n.state === 'finished').map((n) => n.nodeId),
        );
        p.nodes = message.nodes.map((n) => ({ ...n, title: nodeTitle(this.promptOf(jobId), n.nodeId) }));
        // Done first, then the one at work, then what waits: it reads left to right as progress.
        p.nodes.sort((a, b) => STATE_ORDER[a.state] - STATE_ORDER[b.state]);
        p.overall = overall(p);
        changed.add(jobId);
        break;
      }
      case 'executed': {
        for (const output of message.outputs) {
          const { item, added: isNew } = this.journal.addOutput(jobId, output);
          if (isNew) added.push({ item, jobId });
        }
        this.journal.appendEvent(jobId, 'executed', cause, { node: message.node });
        changed.add(jobId);
        break;
      }
      case 'execution_success': {
        this.finishRunning(promptId);
        const p = this.progressOf(jobId);
        p.nodesDone = p.nodesTotal;
        p.overall = 1;
        if (this.journal.transition(jobId, 'completed', cause, { finishedAt: message.at })) changed.add(jobId);
        break;
      }
      case 'execution_error': {
        this.finishRunning(promptId);
        const error = jobErrorOf(this.promptOf(jobId), message.error);
        if (this.journal.transition(jobId, 'failed', cause, { finishedAt: message.at, error }, message.error)) {
          changed.add(jobId);
        }
        break;
      }
      case 'execution_interrupted': {
        this.finishRunning(promptId);
        if (this.journal.transition(jobId, 'interrupted', cause, { finishedAt: message.at })) changed.add(jobId);
        break;
      }
    }
  }

  /** A prompt ended: what was kept to follow it goes (progress is journaled, the prompt re-read if needed). */
  private finishRunning(promptId: string): void {
    if (this.running === promptId) this.running = null;
    const jobId = this.jobOfPrompt.get(promptId);
    if (jobId) {
      this.prompts.delete(jobId);
      this.done.delete(jobId);
      this.finished.add(jobId);
    }
  }

  private lookup(promptId: string): string | null {
    const cached = this.jobOfPrompt.get(promptId);
    if (cached) return cached;
    const job = this.journal.byPromptId(this.profileId, promptId);
    if (job) this.jobOfPrompt.set(promptId, job.id);
    return job?.id ?? null;
  }

  private readonly prompts = new Map<string, Record<string, unknown>>();
  private promptOf(jobId: string): Record<string, unknown> {
    let prompt = this.prompts.get(jobId);
    if (!prompt) {
      prompt = this.journal.get(jobId)?.prompt ?? {};
      this.prompts.set(jobId, prompt);
    }
    return prompt;
  }

  /**
   * Nodes counted as done, per job: each once, whichever message said it (executing, cached and
   * progress_state all do), so "node N of M" names the node at work, not one ahead.
   */
  private readonly done = new Map<string, Set<string>>();
  private markDone(jobId: string, p: JobProgress, nodeIds: string[]): void {
    let done = this.done.get(jobId);
    if (!done) this.done.set(jobId, (done = new Set()));
    for (const id of nodeIds) done.add(id);
    // After a restart the set starts empty: what the journal said stays the floor.
    p.nodesDone = Math.min(p.nodesTotal, Math.max(p.nodesDone, done.size));
  }

  private progressOf(jobId: string): JobProgress {
    let p = this.progress.get(jobId);
    if (!p) {
      const stored = this.journal.get(jobId);
      p = stored?.progress ?? {
        overall: 0,
        nodeId: null,
        nodeTitle: null,
        value: 0,
        max: 0,
        nodesDone: 0,
        nodesTotal: Math.max(1, Object.keys(this.promptOf(jobId)).length),
      };
      this.progress.set(jobId, p);
    }
    return p;
  }

  private hold(message: Message): void {
    const { promptId } = message;
    let held = this.held.get(promptId);
    if (!held) {
      if (this.held.size >= HOLD_MAX_PROMPTS) return;
      held = { since: Date.now(), messages: [] };
      this.held.set(promptId, held);
    }
    if (held.messages.length < HOLD_MAX_PER_PROMPT) held.messages.push(message);
  }

  private dropStaleHolds(): void {
    const limit = Date.now() - HOLD_MS;
    for (const [promptId, held] of this.held) if (held.since < limit) this.held.delete(promptId);
  }
}

const STATE_ORDER = { finished: 0, error: 1, running: 2, pending: 3 } as const;

function overall(p: JobProgress): number {
  const current = p.max > 0 ? Math.min(1, p.value / p.max) : 0;
  return Math.min(1, (p.nodesDone + current) / Math.max(1, p.nodesTotal));
}
