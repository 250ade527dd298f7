// Applies the server's WebSocket messages to the journal. Messages are queued and written in one
// transaction per tick (journal first, UI second), progress is coalesced to the latest value per
// job, and a message for a prompt we do not know yet (the socket can beat the HTTP answer of a
// submit) is held briefly and replayed once the prompt_id is known.
import type { JobProgress } from '../../../shared/jobs';
import type { JobJournal, JobRecord, NewOutput } from '../journal/jobs';
import { nodeTitle, outputKindOf } from '../workflows/api-format';
import type { OutputItem } from '../../../shared/jobs';

export interface TrackerHooks {
  /** After the journal was written: these jobs changed. */
  jobsChanged(ids: string[]): void;
  /** A new output to download. */
  outputAdded(item: OutputItem, job: JobRecord): void;
}

type Message = { type: string; data: unknown };

/** How long messages for an unknown prompt_id are kept in case a submit is about to name it. */
const HOLD_MS = 60_000;
const HOLD_MAX_PER_PROMPT = 2_000;

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
  ) {}

  get runningPromptId(): string | null {
    return this.running;
  }

  jobIdForPrompt(promptId: string): string | null {
    return this.lookup(promptId);
  }

  /** Queues a message; it is written with the others of this tick. */
  push(message: Message): void {
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

  /** Writes everything queued, in one transaction. Public so tests and benchmarks can drain. */
  flush(): void {
    this.flushScheduled = false;
    if (this.queue.length === 0) return;
    const batch = this.queue;
    this.queue = [];
    const changed = new Set<string>();
    const added: { item: OutputItem; jobId: string }[] = [];
    this.journal.transaction(() => {
      for (const message of batch) this.apply(message, changed, added);
      for (const jobId of changed) {
        const p = this.progress.get(jobId);
        if (p) this.journal.setProgress(jobId, p);
      }
    });
    for (const jobId of this.finished) this.progress.delete(jobId);
    this.finished.clear();
    this.dropStaleHolds();
    if (changed.size > 0) this.hooks.jobsChanged([...changed]);
    for (const { item, jobId } of added) {
      const job = this.journal.get(jobId);
      if (job) this.hooks.outputAdded(item, job);
    }
  }

  private apply(message: Message, changed: Set<string>, added: { item: OutputItem; jobId: string }[]): void {
    const data = (message.data ?? {}) as Record<string, unknown>;
    const promptId = typeof data.prompt_id === 'string' ? data.prompt_id : null;
    if (message.type === 'status' || !promptId) return;
    const jobId = this.lookup(promptId);
    if (!jobId) {
      this.hold(promptId, message);
      return;
    }
    const cause = `socket: ${message.type}`;
    switch (message.type) {
      case 'execution_start': {
        this.running = promptId;
        if (this.journal.transition(jobId, 'running', cause, { startedAt: timeOf(data), queuePosition: null })) {
          changed.add(jobId);
        }
        this.progressOf(jobId).nodesDone = 0;
        break;
      }
      case 'execution_cached': {
        const nodes = Array.isArray(data.nodes) ? data.nodes.length : 0;
        const p = this.progressOf(jobId);
        p.nodesDone += nodes;
        p.overall = overall(p);
        this.journal.appendEvent(jobId, 'cached', cause, { nodes: data.nodes });
        changed.add(jobId);
        break;
      }
      case 'executing': {
        const node = typeof data.node === 'string' ? data.node : null;
        const p = this.progressOf(jobId);
        if (p.nodeId && p.nodeId !== node) p.nodesDone += 1;
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
        p.value = num(data.value);
        p.max = num(data.max);
        if (typeof data.node === 'string' && data.node !== p.nodeId) {
          p.nodeId = data.node;
          p.nodeTitle = nodeTitle(this.promptOf(jobId), data.node);
        }
        p.overall = overall(p);
        changed.add(jobId);
        break;
      }
      case 'progress_state': {
        const nodes = (data.nodes ?? {}) as Record<string, { state?: string; value?: number; max?: number }>;
        const p = this.progressOf(jobId);
        const states = Object.values(nodes);
        p.nodesDone = Math.max(p.nodesDone, states.filter((n) => n.state === 'finished').length);
        p.nodes = Object.entries(nodes).map(([nodeId, n]) => ({
          nodeId,
          title: nodeTitle(this.promptOf(jobId), nodeId),
          state: n.state === 'finished' || n.state === 'running' || n.state === 'error' ? n.state : 'pending',
          value: num(n.value),
          max: num(n.max),
        }));
        // Done first, then the one at work, then what waits: it reads left to right as progress.
        p.nodes.sort((a, b) => STATE_ORDER[a.state] - STATE_ORDER[b.state]);
        p.overall = overall(p);
        changed.add(jobId);
        break;
      }
      case 'executed': {
        const node = typeof data.node === 'string' ? data.node : '';
        for (const output of outputsOf(node, data.output)) {
          const { item, added: isNew } = this.journal.addOutput(jobId, output);
          if (isNew) added.push({ item, jobId });
        }
        this.journal.appendEvent(jobId, 'executed', cause, { node });
        changed.add(jobId);
        break;
      }
      case 'execution_success': {
        this.finishRunning(promptId);
        const p = this.progressOf(jobId);
        p.nodesDone = p.nodesTotal;
        p.overall = 1;
        if (this.journal.transition(jobId, 'completed', cause, { finishedAt: timeOf(data) })) changed.add(jobId);
        break;
      }
      case 'execution_error': {
        this.finishRunning(promptId);
        const nodeId = typeof data.node_id === 'string' ? data.node_id : undefined;
        const error = {
          kind: 'execution' as const,
          message: str(data.exception_message) ?? 'The workflow failed while running.',
          ...(nodeId ? { nodeId } : {}),
          ...(str(data.node_type) ? { nodeType: str(data.node_type)! } : {}),
          ...(nodeId && nodeTitle(this.promptOf(jobId), nodeId)
            ? { nodeTitle: nodeTitle(this.promptOf(jobId), nodeId)! }
            : {}),
          ...(str(data.exception_type) ? { exceptionType: str(data.exception_type)! } : {}),
        };
        if (this.journal.transition(jobId, 'failed', cause, { finishedAt: timeOf(data), error }, compactError(data))) {
          changed.add(jobId);
        }
        break;
      }
      case 'execution_interrupted': {
        this.finishRunning(promptId);
        if (this.journal.transition(jobId, 'interrupted', cause, { finishedAt: timeOf(data) })) changed.add(jobId);
        break;
      }
      default:
        break;
    }
  }

  /** A prompt ended: what was kept to follow it goes (progress is journaled, the prompt re-read if needed). */
  private finishRunning(promptId: string): void {
    if (this.running === promptId) this.running = null;
    const jobId = this.jobOfPrompt.get(promptId);
    if (jobId) {
      this.prompts.delete(jobId);
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

  private hold(promptId: string, message: Message): void {
    let held = this.held.get(promptId);
    if (!held) {
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

/** The files of an `executed` message: images, gifs/video, audio; anything with a filename. */
export function outputsOf(nodeId: string, output: unknown): NewOutput[] {
  if (!output || typeof output !== 'object') return [];
  const found: NewOutput[] = [];
  for (const [key, list] of Object.entries(output as Record<string, unknown>)) {
    if (!Array.isArray(list)) continue;
    for (const entry of list) {
      if (!entry || typeof entry !== 'object') continue;
      const e = entry as Record<string, unknown>;
      if (typeof e.filename !== 'string' || !e.filename) continue;
      found.push({
        nodeId,
        kind: outputKindOf(e.filename, key),
        filename: e.filename.slice(0, 512),
        subfolder: typeof e.subfolder === 'string' ? e.subfolder.slice(0, 512) : '',
        type: typeof e.type === 'string' ? e.type.slice(0, 32) : 'output',
      });
    }
  }
  return found;
}

function compactError(data: Record<string, unknown>): Record<string, unknown> {
  // The traceback is what a developer needs; inputs/outputs can be huge and are dropped.
  return {
    node_id: data.node_id,
    node_type: data.node_type,
    exception_type: data.exception_type,
    exception_message: data.exception_message,
    traceback: Array.isArray(data.traceback) ? data.traceback.slice(-20) : undefined,
  };
}

function timeOf(data: Record<string, unknown>): number {
  return typeof data.timestamp === 'number' && data.timestamp > 1e12 ? data.timestamp : Date.now();
}

function num(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : 0;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v ? v : undefined;
}
