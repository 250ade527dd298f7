// One connection to one server profile: its HTTP client, its WebSocket and the tracker that turns
// socket messages into journal writes. Binary preview frames are decoded here and handed on.
import { randomUUID } from 'node:crypto';
import type { ServerProfile } from '../../../shared/contract';
import { decodeBinaryFrame } from '../../../shared/comfy-frames';
import { ComfyApi } from '../cloud/api';
import { ComfyHttp } from '../cloud/http';
import { parseServerMessage } from '../cloud/messages';
import { ComfySocket, type SocketState } from '../cloud/socket';
import type { JobJournal } from '../journal/jobs';
import { MessageTracker, type TrackerHooks } from './tracker';

export interface SessionLog {
  info(m: string, f?: Record<string, unknown>): void;
  warn(m: string, f?: Record<string, unknown>): void;
}

export interface Preview {
  jobId: string;
  mime: string;
  bytes: Uint8Array;
}

export interface SessionHooks extends TrackerHooks {
  socketState(profileId: string, state: SocketState, detail: string): void;
  preview(preview: Preview): void;
  /** A text frame of type 3 (e.g. a node's log line). */
  text?(jobId: string | null, text: string): void;
}

export interface SessionOptions {
  apiKey: () => string | null | Promise<string | null>;
  log: SessionLog;
  hooks: SessionHooks;
  pingIntervalMs?: number;
  reconnectBaseMs?: number;
  reconnectMaxMs?: number;
  httpRetryBaseMs?: number;
}

export class ServerSession {
  readonly clientId = randomUUID();
  readonly http: ComfyHttp;
  readonly api: ComfyApi;
  readonly socket: ComfySocket;
  readonly tracker: MessageTracker;

  constructor(
    readonly profile: ServerProfile,
    journal: JobJournal,
    private readonly options: SessionOptions,
  ) {
    this.http = new ComfyHttp(profile, {
      apiKey: options.apiKey,
      log: options.log,
      retryBaseMs: options.httpRetryBaseMs,
      // The server answered: if the socket is waiting out a backoff, it need not wait any more.
      onAnswer: () => {
        if (this.socket.state === 'closed') this.socket.reconnectNow();
      },
    });
    this.api = new ComfyApi(this.http, profile.kind, options.log);
    this.tracker = new MessageTracker(journal, profile.id, options.hooks, options.log);
    this.socket = new ComfySocket(
      {
        kind: profile.kind,
        url: profile.url,
        clientId: this.clientId,
        apiKey: options.apiKey,
        log: options.log,
        pingIntervalMs: options.pingIntervalMs,
        reconnectBaseMs: options.reconnectBaseMs,
        reconnectMaxMs: options.reconnectMaxMs,
      },
      {
        state: (state, detail) => options.hooks.socketState(profile.id, state, detail),
        text: (text) => this.onText(text),
        binary: (frame) => this.onBinary(frame),
      },
    );
  }

  start(): void {
    this.socket.start();
  }

  async close(): Promise<void> {
    this.socket.stop();
    this.tracker.flush();
    await this.http.close();
  }

  private onText(text: string): void {
    const parsed = parseServerMessage(text);
    if (!parsed.ok) {
      this.options.log.warn('socket: a malformed message was skipped', { reason: parsed.reason.slice(0, 300) });
      return;
    }
    if (parsed.message) this.tracker.push(parsed.message);
  }

  private onBinary(frame: Uint8Array): void {
    const decoded = decodeBinaryFrame(frame);
    if (!decoded) return;
    if (decoded.kind === 'text') {
      const jobId = this.tracker.runningPromptId ? this.tracker.jobIdForPrompt(this.tracker.runningPromptId) : null;
      this.options.hooks.text?.(jobId, decoded.text);
      return;
    }
    // Type 4 names its prompt; type 1 belongs to whatever runs now.
    const promptId = decoded.promptId ?? this.tracker.runningPromptId;
    const jobId = promptId ? this.tracker.jobIdForPrompt(promptId) : null;
    if (jobId) this.options.hooks.preview({ jobId, mime: decoded.mime, bytes: decoded.image });
  }
}
