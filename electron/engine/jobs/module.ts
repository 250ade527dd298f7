// Composes the job machinery for the engine: one session per server profile in use, the job
// service, downloads into the store, sync, and the contract handlers for jobs, queue and gallery.
import type { Database } from 'better-sqlite3';
import type { EventName, EventPayload, MediaVariant, ServerProfile } from '../../../shared/contract';
import { DeskError } from '../../../shared/errors';
import { isFinalJobState, type JobState, type JobSummary } from '../../../shared/jobs';
import type { SocketState } from '../cloud/socket';
import { ChangeLog } from '../journal/changes';
import { toSummary, type JobJournal } from '../journal/jobs';
import type { QueueJournal } from '../journal/queue';
import type { LineageLink } from '../journal/organize';
import type { EngineParts } from '../parts';
import { Router } from './routing';
import type { QueueState } from '../../../shared/queue';
import type { SettingsStore } from '../journal/settings';
import type { Logger } from '../log';
import { makeThumbnail, type MediaFile, type OutputStore } from '../store';
import type { KeyVault } from '../secrets';
import { Downloader, type DownloaderDeps } from './downloads';
import { JobService } from './service';
import { ServerSession, type Preview } from './session';
import { syncJobs } from './sync';

export interface JobsTimings {
  pingIntervalMs?: number;
  reconnectBaseMs?: number;
  reconnectMaxMs?: number;
  /** How often open jobs are checked against the server while the socket is down (and 6× that while up). */
  reconcileIntervalMs?: number;
  retryBaseMs?: number;
  downloadAttempts?: number;
  /** Minimum gap between two previews of one job sent to the renderer. */
  previewIntervalMs?: number;
  /** How often the journal is checked for what other processes wrote (default 500 ms). */
  journalPollMs?: number;
  /** Stall window, deadline and rates of downloads. */
  downloadLimits?: DownloaderDeps['limits'];
}

export interface JobsModuleDeps {
  db: Database;
  /** The journal's parts and the store, built once by the engine (parts.ts). */
  parts: EngineParts;
  settings: SettingsStore;
  keys: KeyVault;
  log: Logger;
  emit<E extends EventName>(name: E, payload: EventPayload<E>): void;
  reportConnection(update: {
    profileId: string;
    state: 'online' | 'offline' | 'unauthorized' | 'no_key';
    message: string;
  }): void;
  timings?: JobsTimings;
}

export class JobsModule {
  /** The parts of the engine's data the job machinery works on (the same objects as EngineParts). */
  readonly journal: JobJournal;
  readonly store: OutputStore;
  readonly queue: QueueJournal;
  readonly downloads: Downloader;
  readonly service: JobService;
  readonly router: Router;
  private readonly sessions = new Map<string, ServerSession>();
  private readonly objectInfos = new Map<string, Record<string, unknown>>();
  private readonly lastState = new Map<string, JobState>();
  private readonly previews = new Map<
    string,
    { last: number; pending: Preview | null; timer: NodeJS.Timeout | null }
  >();
  /** Completed jobs whose detail is being read for outputs the socket did not announce. */
  private readonly verifying = new Set<Promise<void>>();
  /** Batches and the queue are told to the window at most this often (a sweep of 1,000 is one update). */
  private readonly pendingBatches = new Set<string>();
  private readonly batchesTold = new Set<string>();
  private queueNotice: NodeJS.Timeout | null = null;
  private queueDirty = false;
  private reconcileTimer: NodeJS.Timeout | null = null;
  private changeTimer: NodeJS.Timeout | null = null;
  private started = false;
  private closed = false;

  constructor(private readonly deps: JobsModuleDeps) {
    const t = deps.timings ?? {};
    const { parts } = deps;
    this.journal = parts.journal;
    this.store = parts.store;
    this.queue = parts.queue;
    this.router = new Router({
      uploads: parts.uploads,
      store: this.store,
      objectInfo: (id) => this.objectInfo(id),
      kind: (id) => this.profileKind(id),
      http: (id) => this.session(id).http,
      features: (id) => this.session(id).api.features(),
    });
    this.downloads = new Downloader({
      journal: this.journal,
      store: this.store,
      open: (profileId, ref, offset, signal) => this.session(profileId).http.openView(ref, offset, signal),
      concurrency: deps.settings.getSettings().downloadConcurrency,
      wanted: (output) => output.source !== 'sync' || deps.settings.getSettings().syncDownloads,
      outputChanged: (item) => {
        const tile = this.deps.parts.gallery.tile(item.id);
        if (tile) deps.emit('output.changed', tile);
        // The job's cover and output count follow its outputs.
        const job = this.journal.get(item.jobId);
        if (job) deps.emit('job.changed', toSummary(job));
      },
      log: deps.log,
      ...(t.downloadAttempts !== undefined ? { attempts: t.downloadAttempts } : {}),
      ...(t.downloadLimits ? { limits: t.downloadLimits } : {}),
      ...(t.retryBaseMs !== undefined ? { retryBaseMs: t.retryBaseMs } : {}),
    });
    this.service = new JobService({
      journal: this.journal,
      queue: this.queue,
      router: this.router,
      downloads: this.downloads,
      session: (id) => this.session(id),
      // A server a held job may go to is connected to, so its state (and object_info) is known.
      online: (id) =>
        !this.closed && this.deps.settings.getProfile(id) !== null && this.session(id).socket.state === 'open',
      batchChanged: (id) => this.batchChanged(id),
      linkInputs: (jobId, prompt) => this.linkInputs(jobId, prompt),
      apiKey: (id) => this.keyFor(id),
      objectInfo: (id) => this.objectInfo(id),
      uiWorkflows: this.deps.parts.uiWorkflows,
      jobChanged: (job) => this.jobChanged(job),
      log: deps.log,
      ...(t.retryBaseMs !== undefined ? { retryBaseMs: t.retryBaseMs } : {}),
    });
  }

  /**
   * On start: clean temp files, resume downloads, connect, and check every open job. Unless told
   * otherwise (the command line), it also follows what other processes write to the journal, and
   * hashes older images in the background.
   */
  async start(options: { watchOthers?: boolean; indexImages?: boolean } = {}): Promise<void> {
    this.started = true;
    if (options.watchOthers !== false) this.watchOthers();
    // The window's process hashes older images for "similar images" in the background.
    if (options.indexImages !== false) void this.deps.parts.images.run();
    await this.store.removeTemp();
    for (const job of this.journal.openJobs()) this.lastState.set(job.id, job.state);
    this.downloads.resumeAll();
    const profiles = new Set([this.activeProfileId(), ...this.journal.openJobs().map((j) => j.profileId)]);
    for (const id of profiles) if (this.deps.settings.getProfile(id)) this.session(id);
    this.scheduleReconcile();
    this.service.dispatcher.wake();
  }

  /** Every server's window, pause and what it has of ours, and the held jobs meant for several. */
  queueState(): QueueState {
    const flights = this.queue.inFlight();
    const held = this.queue.held();
    return {
      paused: this.queue.paused(),
      spread: held.filter((h) => h.route.length > 1 && !h.pinned).length,
      servers: this.queue.controls().map((c) => ({
        ...c,
        inFlight: (flights.get(c.profileId) ?? []).reduce((n, f) => n + f.n, 0),
        held: held.filter((h) => h.profileId === c.profileId && (h.route.length === 1 || h.pinned)).length,
        online: this.sessions.get(c.profileId)?.socket.state === 'open',
      })),
    };
  }

  /** The queue changed (a pause, a window, a job sent or ended): the window hears it, at most every 250 ms. */
  queueChanged(): void {
    this.queueDirty = true;
    this.flushNotices();
  }

  batchChanged(batchId: string): void {
    this.pendingBatches.add(batchId);
    this.flushNotices();
  }

  private flushNotices(): void {
    if (this.queueNotice || this.closed) return;
    this.queueNotice = setTimeout(() => {
      this.queueNotice = null;
      try {
        if (this.queueDirty) this.deps.emit('queue.changed', this.queueState());
        for (const id of this.pendingBatches) {
          const batch = this.queue.batch(id);
          if (batch) this.deps.emit('batch.changed', batch);
        }
      } catch (err) {
        this.deps.log.warn('queue notice failed', { error: (err as Error).message });
      }
      this.queueDirty = false;
      this.pendingBatches.clear();
    }, 250);
    this.queueNotice.unref?.();
  }

  /** The live session of a profile, created (and connected) on first use. */
  session(profileId: string): ServerSession {
    const profile = this.deps.settings.getProfile(profileId);
    if (!profile) throw new DeskError('not_found', `There is no server profile "${profileId}".`);
    const existing = this.sessions.get(profileId);
    if (existing && sameServer(existing.profile, profile)) return existing;
    if (existing) void existing.close();
    const t = this.deps.timings ?? {};
    const session = new ServerSession(profile, this.journal, {
      apiKey: () => this.keyFor(profileId),
      log: this.deps.log,
      pingIntervalMs: t.pingIntervalMs,
      reconnectBaseMs: t.reconnectBaseMs,
      reconnectMaxMs: t.reconnectMaxMs,
      httpRetryBaseMs: t.retryBaseMs,
      hooks: {
        jobsChanged: (ids) => {
          for (const id of ids) {
            const job = this.journal.get(id);
            if (job) this.jobChanged(toSummary(job));
          }
        },
        outputAdded: (item, job) => this.downloads.enqueue(item, job.profileId),
        socketState: (id, state, detail) => this.socketState(id, state, detail),
        preview: (preview) => this.preview(preview),
      },
    });
    this.sessions.set(profileId, session);
    if (!this.closed) session.start();
    return session;
  }

  /** Lineage: the outputs a new job takes as input images or masks (by the content we uploaded). */
  private linkInputs(jobId: string, prompt: Record<string, { inputs?: Record<string, unknown> }>): void {
    const links: LineageLink[] = [];
    for (const [nodeId, node] of Object.entries(prompt)) {
      for (const [input, value] of Object.entries(node.inputs ?? {})) {
        if (typeof value !== 'string' || value.length > 512) continue;
        for (const hash of this.deps.parts.uploads.hashesOf(value))
          for (const outputId of this.journal.outputIdsByHash(hash)) links.push({ outputId, nodeId, input });
      }
    }
    if (links.length > 0) this.deps.parts.organizer.link(jobId, links);
  }

  /**
   * A profile's address or key changed (`changed`), or only which one is active: a session whose
   * server moved is made again, the changed one reconnects with its new key, and the others keep
   * their connections (switching the active server drops nothing).
   */
  refreshSessions(changed?: string): void {
    if (!this.started) return;
    for (const [id, session] of this.sessions) {
      const profile = this.deps.settings.getProfile(id);
      const moved = !profile || !sameServer(session.profile, profile);
      if (moved) {
        this.sessions.delete(id);
        void session.close();
        if (profile) this.session(id);
      } else if (id === changed) {
        session.socket.reconnectNow();
      }
      // A new key or address may be what the queue waited for.
      if (profile && (moved || id === changed)) this.service.retryNow(id);
    }
    this.session(this.activeProfileId());
  }

  /** Resolves when every finished job's outputs are known and every download has ended (the CLI waits on it). */
  async settled(): Promise<void> {
    for (;;) {
      if (this.verifying.size > 0) await Promise.allSettled([...this.verifying]);
      await this.downloads.idle();
      if (this.verifying.size === 0) return;
    }
  }

  /** Cloud or local, for a profile that exists. */
  profileKind(profileId: string): ServerProfile['kind'] | null {
    return this.deps.settings.getProfile(profileId)?.kind ?? null;
  }

  /** The server as the person named it, for messages. */
  profileName(profileId: string): string {
    return this.deps.settings.getProfile(profileId)?.name ?? 'the server';
  }

  /** The socket state of a profile's session, if it has one. */
  socketStateOf(profileId: string): SocketState | null {
    return this.sessions.get(profileId)?.socket.state ?? null;
  }

  setDownloadConcurrency(n: number): void {
    this.downloads.setConcurrency(n);
  }

  async media(hash: string, variant: MediaVariant): Promise<MediaFile | null> {
    const found = await this.store.media(hash, variant);
    if (found || variant !== 'large') return found;
    // The large image is made the first time a big tile asks for it; the small one meanwhile.
    const source = await this.store.locate(hash);
    if (!source) return null;
    const made = await makeThumbnail(this.store, hash, source, 'large').then(
      () => true,
      (err: unknown) => (this.deps.log.warn('no large thumbnail', { hash, error: String(err) }), false),
    );
    return this.store.media(hash, made ? 'large' : 'thumb');
  }

  async sync(profileId: string): Promise<number> {
    const imported = await syncJobs({
      journal: this.journal,
      session: this.session(profileId),
      downloadOutputs: this.deps.settings.getSettings().syncDownloads,
      enqueueDownload: (item, id) => this.downloads.enqueue(item, id),
      uiWorkflows: this.deps.parts.uiWorkflows,
      log: this.deps.log,
    });
    this.deps.log.info('sync done', { profileId, imported });
    return imported;
  }

  /** Another process (the command line beside the window) wrote jobs or outputs: show them within a moment. */
  private watchOthers(): void {
    const log = new ChangeLog(this.deps.db);
    log.prune();
    const every = this.deps.timings?.journalPollMs ?? 500;
    // The log is kept short: pruned now and then (every 10 minutes at the default pace).
    let polls = 0;
    this.changeTimer = setInterval(() => {
      try {
        if (++polls % 1200 === 0) log.prune();
        const changes = log.poll();
        if (!changes) return;
        for (const id of changes.jobIds) {
          const job = this.journal.get(id);
          if (job) this.deps.emit('job.changed', toSummary(job));
        }
        for (const id of changes.outputIds) {
          const tile = this.deps.parts.gallery.tile(id);
          if (tile) this.deps.emit('output.changed', tile);
        }
        for (const id of changes.batchIds) this.batchChanged(id);
        // Another process queued, paused, resumed or reordered: this one plans again.
        if (changes.queue || changes.jobIds.length > 0 || changes.batchIds.length > 0) {
          this.queueChanged();
          this.service.dispatcher.wake();
        }
      } catch (err) {
        this.deps.log.warn('journal watch failed', { error: (err as Error).message });
      }
    }, every);
    this.changeTimer.unref?.();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.deps.parts.images.stop();
    if (this.changeTimer) clearInterval(this.changeTimer);
    if (this.reconcileTimer) clearTimeout(this.reconcileTimer);
    if (this.queueNotice) clearTimeout(this.queueNotice);
    this.service.close();
    this.downloads.close();
    for (const p of this.previews.values()) if (p.timer) clearTimeout(p.timer);
    await Promise.all([...this.sessions.values()].map((s) => s.close()));
    this.sessions.clear();
  }

  private activeProfileId(): string {
    return this.deps.settings.getSettings().activeProfileId;
  }

  private async keyFor(profileId: string): Promise<string | null> {
    const profile = this.deps.settings.getProfile(profileId);
    // A local server never receives the Cloud key.
    return profile?.kind === 'cloud' ? this.deps.keys.get(profileId) : null;
  }

  private jobChanged(job: JobSummary): void {
    // An open job is checked against the server now and then, even while the socket is up: a
    // final message lost on a connection that stays open must not leave it waiting forever.
    if (!isFinalJobState(job.state)) this.scheduleReconcile();
    const before = this.lastState.get(job.id);
    this.lastState.set(job.id, job.state);
    this.deps.emit('job.changed', job);
    if (job.batchId) this.batchChanged(job.batchId);
    if (before !== job.state) {
      this.queueChanged();
      // A place on its server may have freed: the next held job can go.
      if (isFinalJobState(job.state) || job.state === 'outbox') this.service.dispatcher.wake();
    }
    if (isFinalJobState(job.state) && before !== undefined && !isFinalJobState(before)) {
      this.lastState.delete(job.id);
      if (job.state === 'completed') {
        const check = this.service.verifyOutputs(job.id).finally(() => this.verifying.delete(check));
        this.verifying.add(check);
      }
      if (job.batchId) this.batchFinished(job);
      else
        this.deps.emit('job.finished', {
          jobId: job.id,
          state: job.state,
          title: `${job.workflowName}: ${job.state}`,
          body: job.error?.message ?? (job.state === 'completed' ? `${job.outputCount} output(s)` : job.state),
        });
    }
  }

  /** A batch tells the person once, when its last run ends (a sweep of 1,000 is one notification). */
  private batchFinished(job: JobSummary): void {
    const batch = this.queue.batch(job.batchId!);
    if (!batch || batch.counts.held + batch.counts.active > 0) return;
    const { completed, failed, cancelled, total } = batch.counts;
    const told = `${batch.id}:${completed}:${failed}:${cancelled}`;
    if (this.batchesTold.has(told)) return;
    this.batchesTold.add(told);
    this.deps.emit('job.finished', {
      jobId: job.id,
      state: failed > 0 ? 'failed' : completed > 0 ? 'completed' : 'cancelled',
      title: `${batch.name}: done`,
      body: [
        `${completed} of ${total} completed`,
        failed ? `${failed} failed` : '',
        cancelled ? `${cancelled} cancelled` : '',
      ]
        .filter(Boolean)
        .join(' · '),
    });
  }

  private socketState(profileId: string, state: SocketState, detail: string): void {
    this.deps.log.info('socket', { profileId, state, detail });
    if (state === 'open') {
      // Back online: whatever happened meanwhile is read from the server, and the outbox is sent.
      void this.service.reconcile(profileId).then(() => this.downloads.resumeAll());
      this.service.serverReachable(profileId);
      void this.loadObjectInfo(profileId);
      this.deps.reportConnection({ profileId, state: 'online', message: 'Connected' });
    } else if (state === 'unauthorized') {
      void this.keyFor(profileId).then((key) =>
        this.deps.reportConnection(
          key
            ? { profileId, state: 'unauthorized', message: 'The server refused the API key.' }
            : { profileId, state: 'no_key', message: 'Set your API key in Settings to connect.' },
        ),
      );
    } else if (state === 'closed' && detail !== 'stopped') {
      // Its spread jobs go elsewhere; what it has of ours is reconciled when it returns.
      this.service.dispatcher.wake();
      // Comfy Cloud without a key is not "offline": what is missing is the key, whatever the socket did.
      const cloud = this.profileKind(profileId) === 'cloud';
      void (cloud ? this.keyFor(profileId).catch(() => '') : Promise.resolve('')).then((key) => {
        if (this.sessions.get(profileId)?.socket.state === 'open') return; // back already
        this.deps.reportConnection(
          key === null
            ? { profileId, state: 'no_key', message: 'Set your API key in Settings to connect.' }
            : { profileId, state: 'offline', message: 'The connection to the server was lost; reconnecting.' },
        );
      });
    }
    this.queueChanged();
    this.scheduleReconcile();
  }

  /** The server's node definitions: fetched when online, kept in the journal for offline use. */
  objectInfo(profileId: string): Record<string, unknown> | null {
    const cached = this.objectInfos.get(profileId);
    if (cached) return cached;
    const row = this.deps.db.prepare('SELECT json FROM object_info WHERE profile_id = ?').get(profileId) as
      { json: string } | undefined;
    if (!row) return null;
    const parsed = JSON.parse(row.json) as Record<string, unknown>;
    this.objectInfos.set(profileId, parsed);
    return parsed;
  }

  /** Fetches the server's node definitions now (throws when it cannot be reached). */
  async refreshObjectInfo(profileId: string): Promise<void> {
    const info = await this.session(profileId).api.objectInfo();
    this.objectInfos.set(profileId, info);
    this.router.forget(profileId);
    this.service.dispatcher.forgetTold();
    this.service.dispatcher.wake();
    this.deps.db
      .prepare('INSERT OR REPLACE INTO object_info (profile_id, json, fetched_at) VALUES (?, ?, ?)')
      .run(profileId, JSON.stringify(info), Date.now());
  }

  private async loadObjectInfo(profileId: string): Promise<void> {
    try {
      await this.refreshObjectInfo(profileId);
    } catch (err) {
      this.deps.log.warn('object_info not loaded', { profileId, error: (err as Error).message });
    }
  }

  /** While jobs are open, they are checked periodically: often when the socket is down, rarely when up. */
  private scheduleReconcile(): void {
    if (this.closed || this.reconcileTimer) return;
    const base = this.deps.timings?.reconcileIntervalMs ?? 5_000;
    const open = this.journal.openJobs();
    if (open.length === 0) return;
    const allUp = [...new Set(open.map((j) => j.profileId))].every(
      (id) => this.sessions.get(id)?.socket.state === 'open',
    );
    this.reconcileTimer = setTimeout(
      () => {
        this.reconcileTimer = null;
        const profiles = new Set(this.journal.openJobs().map((j) => j.profileId));
        void Promise.all([...profiles].map((id) => this.service.reconcile(id).catch(() => undefined))).finally(() =>
          this.scheduleReconcile(),
        );
      },
      allUp ? base * 6 : base,
    );
    this.reconcileTimer.unref?.();
  }

  private preview(preview: Preview): void {
    const gap = this.deps.timings?.previewIntervalMs ?? 150;
    let slot = this.previews.get(preview.jobId);
    if (!slot) this.previews.set(preview.jobId, (slot = { last: 0, pending: null, timer: null }));
    slot.pending = preview; // the latest frame always wins
    if (slot.timer) return;
    const wait = Math.max(0, slot.last + gap - Date.now());
    const s = slot;
    s.timer = setTimeout(() => {
      s.timer = null;
      s.last = Date.now();
      const p = s.pending;
      s.pending = null;
      if (p) {
        this.deps.emit('job.preview', { jobId: p.jobId, mime: p.mime, data: Buffer.from(p.bytes).toString('base64') });
      }
    }, wait);
  }
}

function sameServer(a: ServerProfile, b: ServerProfile): boolean {
  return a.url === b.url && a.kind === b.kind;
}
