// The endpoints Comfy Desk uses, over ComfyHttp, with lenient parsing: what the server sends is
// turned into the app's shapes field by field, and one malformed entry in a list is skipped and
// logged, never fatal to the list it came in.
import type { ServerKind } from '../../../shared/contract';
import { DeskError } from '../../../shared/errors';
import type { NewOutput } from '../journal/jobs';
import { ComfyHttp } from './http';
import { failureOf, isObj, obj, outputsOf, type ExecutionFailure } from './messages';

/**
 * The states the app distinguishes. The spec, the docs and the servers disagree on names: see
 * normalizeStatus. `unknown` is a name we have never seen: the caller resolves it from the job's
 * detail or history rather than guess.
 */
export type RemoteStatus = 'pending' | 'running' | 'completed' | 'failed' | 'cancelled' | 'unknown';

const STATUS: Record<string, RemoteStatus> = {
  waiting_to_dispatch: 'pending',
  pending: 'pending',
  submitted: 'pending',
  queued_waiting: 'pending',
  queued: 'pending',
  in_progress: 'running',
  preparing: 'running',
  executing: 'running',
  running: 'running',
  cancel_requested: 'running',
  completed: 'completed',
  success: 'completed',
  error: 'failed',
  failed: 'failed',
  non_retryable_error: 'failed',
  lost: 'failed',
  cancelled: 'cancelled',
  canceled: 'cancelled',
  interrupted: 'cancelled',
};

export function normalizeStatus(status: unknown): RemoteStatus {
  return (typeof status === 'string' && STATUS[status.toLowerCase()]) || 'unknown';
}

export type RemoteError = ExecutionFailure;

export interface RemoteJob {
  promptId: string;
  status: RemoteStatus;
  /** Epoch ms. */
  createdAt: number | null;
  startedAt: number | null;
  finishedAt: number | null;
  outputs: NewOutput[];
  /** The API prompt when the server returned it (job detail, history). */
  prompt: Record<string, unknown> | null;
  extraData: Record<string, unknown> | null;
  error: RemoteError | null;
}

export interface QueueEntry {
  promptId: string;
  number: number;
  prompt: Record<string, unknown> | null;
  extraData: Record<string, unknown> | null;
}

export interface QueueSnapshot {
  running: QueueEntry[];
  pending: QueueEntry[];
}

export interface SubmitBody {
  prompt: Record<string, unknown>;
  client_id: string;
  prompt_id?: string;
  extra_data: Record<string, unknown>;
}

export interface Logger {
  warn(message: string, fields?: Record<string, unknown>): void;
}

export class ComfyApi {
  constructor(
    readonly http: ComfyHttp,
    readonly kind: ServerKind,
    private readonly log: Logger,
  ) {}

  async submit(body: SubmitBody, signal?: AbortSignal): Promise<{ promptId: string; number: number | null }> {
    const result = obj(await this.http.json('POST', '/prompt', { body, idempotent: false, signal }));
    const promptId = str(result.prompt_id);
    if (!promptId) throw new DeskError('bad_response', 'The server accepted the workflow but sent no prompt_id.');
    return { promptId, number: typeof result.number === 'number' ? result.number : null };
  }

  async queue(): Promise<QueueSnapshot> {
    const body = obj(await this.http.json('GET', '/queue'));
    return { running: this.queueEntries(body.queue_running), pending: this.queueEntries(body.queue_pending) };
  }

  async deleteFromQueue(promptIds: string[]): Promise<void> {
    await this.http.json('POST', '/queue', { body: { delete: promptIds } });
  }

  async clearQueue(): Promise<void> {
    await this.http.json('POST', '/queue', { body: { clear: true } });
  }

  /** Local servers can interrupt one prompt; Cloud stops every running job of the account. */
  async interrupt(promptId?: string): Promise<void> {
    await this.http.json('POST', '/interrupt', {
      body: promptId && this.kind === 'local' ? { prompt_id: promptId } : {},
    });
  }

  /** Cloud's light status route. Null when the server does not know the job. */
  async jobStatus(promptId: string): Promise<{ status: RemoteStatus; message: string | null } | null> {
    try {
      const body = obj(await this.http.json('GET', `/job/${encodeURIComponent(promptId)}/status`));
      return { status: normalizeStatus(body.status), message: str(body.error_message) };
    } catch (err) {
      if (err instanceof DeskError && err.code === 'not_found') return null;
      throw err;
    }
  }

  /** Full detail: outputs, error, the prompt and its extra_data. Null when the server does not know it. */
  async job(promptId: string): Promise<RemoteJob | null> {
    try {
      return this.remoteJob(obj(await this.http.json('GET', `/jobs/${encodeURIComponent(promptId)}`)), promptId);
    } catch (err) {
      if (err instanceof DeskError && err.code === 'not_found') return null;
      throw err;
    }
  }

  async jobs(query: { offset?: number; limit?: number; status?: string }): Promise<{
    items: RemoteJob[];
    hasMore: boolean;
  }> {
    const body = obj(await this.http.json('GET', '/jobs', { query }));
    const list = Array.isArray(body.items) ? body.items : Array.isArray(body.jobs) ? body.jobs : [];
    const items = this.each(list, 'job', (entry) => this.remoteJob(obj(entry), null));
    const pagination = obj(body.pagination);
    const hasMore =
      typeof pagination.has_more === 'boolean' ? pagination.has_more : (body.has_more as boolean | undefined) === true;
    return { items, hasMore };
  }

  /** One prompt's history entry; null when not (yet) in history. */
  async history(promptId: string): Promise<RemoteJob | null> {
    const route = this.kind === 'cloud' ? '/history_v2/' : '/history/';
    let body: Record<string, unknown>;
    try {
      body = obj(await this.http.json('GET', `${route}${encodeURIComponent(promptId)}`));
    } catch (err) {
      if (err instanceof DeskError && err.code === 'not_found') return null;
      throw err;
    }
    const entry = body[promptId];
    return entry ? this.historyEntry(promptId, obj(entry)) : null;
  }

  /** The newest history entries (history_v2 on Cloud, history on a local server). */
  async recentHistory(limit: number): Promise<RemoteJob[]> {
    if (this.kind === 'cloud') {
      const body = obj(await this.http.json('GET', '/history_v2', { query: { max_items: limit } }));
      const list = Array.isArray(body.history) ? body.history : [];
      return this.each(list, 'history entry', (e) => {
        const entry = obj(e);
        const id = str(entry.prompt_id);
        if (!id) throw new Error('no prompt_id');
        return this.historyEntry(id, entry);
      });
    }
    const body = obj(await this.http.json('GET', '/history', { query: { max_items: limit } }));
    return this.each(Object.entries(body), 'history entry', ([id, entry]) => this.historyEntry(id, obj(entry)));
  }

  async objectInfo(): Promise<Record<string, unknown>> {
    return obj(await this.http.json('GET', '/object_info', { timeoutMs: 120_000 }));
  }

  async features(): Promise<Record<string, unknown>> {
    return obj(await this.http.json('GET', '/features'));
  }

  private remoteJob(body: Record<string, unknown>, fallbackId: string | null): RemoteJob {
    const promptId = str(body.id) ?? str(body.prompt_id) ?? fallbackId;
    if (!promptId) throw new Error('no id');
    const workflow = obj(body.workflow);
    const error = obj(body.execution_error);
    const hasError = Object.keys(error).length > 0;
    let status = normalizeStatus(body.status);
    if (status === 'unknown') {
      // A status name we have not seen: how the job ended says more than the name.
      const ended = obj(body.execution_status).status_str;
      status =
        ended === 'success'
          ? 'completed'
          : ended === 'error' || hasError
            ? 'failed'
            : body.execution_end_time != null
              ? 'completed'
              : 'unknown';
    }
    return {
      promptId,
      status,
      createdAt: epochMs(body.create_time),
      startedAt: epochMs(body.execution_start_time),
      finishedAt: epochMs(body.execution_end_time),
      outputs: outputsOfAll(body.outputs),
      prompt: isObj(workflow.prompt) ? workflow.prompt : null,
      extraData: isObj(workflow.extra_data) ? workflow.extra_data : null,
      error: hasError ? failureOf(error) : null,
    };
  }

  private historyEntry(promptId: string, entry: Record<string, unknown>): RemoteJob {
    const status = obj(entry.status);
    // Local history: prompt is a tuple [number, id, prompt, extra_data, outputs]; Cloud: an object.
    const p = entry.prompt;
    const prompt = Array.isArray(p) ? p[2] : obj(p).prompt;
    const extra = Array.isArray(p) ? p[3] : obj(p).extra_data;
    const messages = Array.isArray(status.messages) ? (status.messages as unknown[]) : [];
    const errorMessage = messages
      .map((m) => (Array.isArray(m) && m[0] === 'execution_error' ? obj(m[1]) : null))
      .find(Boolean);
    const interrupted = messages.some((m) => Array.isArray(m) && m[0] === 'execution_interrupted');
    const statusStr = str(status.status_str);
    const remote: RemoteStatus =
      statusStr === 'success' || (status.completed === true && !errorMessage)
        ? 'completed'
        : interrupted
          ? 'cancelled'
          : statusStr === 'error' || errorMessage
            ? 'failed'
            : 'running';
    const started = messages.find((m) => Array.isArray(m) && m[0] === 'execution_start');
    const ended = messages.find(
      (m) => Array.isArray(m) && /^execution_(success|error|interrupted)$/.test(String(m[0])),
    );
    return {
      promptId,
      status: remote,
      createdAt: epochMs(entry.create_time ?? obj(extra).create_time),
      startedAt: started ? epochMs(obj((started as unknown[])[1]).timestamp) : null,
      finishedAt: ended ? epochMs(obj((ended as unknown[])[1]).timestamp) : null,
      outputs: outputsOfAll(entry.outputs),
      prompt: isObj(prompt) ? prompt : null,
      extraData: isObj(extra) ? extra : null,
      error: errorMessage ? failureOf(errorMessage) : null,
    };
  }

  private queueEntries(list: unknown): QueueEntry[] {
    if (!Array.isArray(list)) return [];
    return this.each(list, 'queue item', (item) => {
      if (!Array.isArray(item) || typeof item[1] !== 'string') throw new Error('not a queue tuple');
      // Local: [number, id, prompt, extra_data, outputs]; Cloud: [number, id, workflow, outputs, meta].
      const fourth = item[3];
      return {
        promptId: item[1],
        number: typeof item[0] === 'number' ? item[0] : 0,
        prompt: isObj(item[2]) ? item[2] : null,
        extraData: isObj(fourth) ? fourth : null,
      };
    });
  }

  private each<T, R>(list: T[], what: string, parse: (item: T) => R): R[] {
    const out: R[] = [];
    for (const item of list) {
      try {
        out.push(parse(item));
      } catch (err) {
        this.log.warn(`skipped a malformed ${what} from the server`, { error: (err as Error).message });
      }
    }
    return out;
  }
}

function outputsOfAll(outputs: unknown): NewOutput[] {
  if (!isObj(outputs)) return [];
  return Object.entries(outputs).flatMap(([nodeId, output]) => outputsOf(nodeId, output));
}

/** The spec says seconds in some places and milliseconds in others: anything below 1e12 is seconds. */
export function epochMs(v: unknown): number | null {
  if (typeof v === 'number' && Number.isFinite(v) && v > 0) return v < 1e12 ? Math.round(v * 1000) : v;
  if (typeof v === 'string') {
    const t = Date.parse(v);
    return Number.isNaN(t) ? null : t;
  }
  return null;
}

function str(v: unknown): string | null {
  return typeof v === 'string' && v ? v : null;
}
