// The app's own queue as the window shows it: every server's window and pause (QueueState) and the
// batches, read once and kept current by queue.changed and batch.changed (the engine sends each at
// most every 250 ms). Read again when the host bridge comes back, since events sent meanwhile are lost.
import type { BatchSummary, QueueState, ServerQueue } from '../../../shared/queue';
import { desk, onBridge } from './desk';

/** How many recent batches are read at start (older ones are read when something names them). */
const BATCHES_READ = 100;

class QueueStore {
  state = $state<QueueState | null>(null);
  /** Batches by id: the recent ones, plus any a job on screen belongs to. */
  batches = $state<Record<string, BatchSummary>>({});
  loaded = $state(false);
  /** The batch shown in the queue's batch view, if one is open. */
  openBatchId = $state<string | null>(null);

  paused = $derived(this.state?.paused ?? false);
  servers = $derived<ServerQueue[]>(this.state?.servers ?? []);
  /** Newest first. */
  list = $derived(Object.values(this.batches).sort((a, b) => b.createdAt - a.createdAt));

  private started = false;
  private asked = new Set<string>();

  async load(): Promise<void> {
    if (this.started) return;
    this.started = true;
    desk.on('queue.changed', (state) => (this.state = state));
    desk.on('batch.changed', (batch) => (this.batches[batch.id] = batch));
    // Back after the bridge was lost: what changed meanwhile is read again.
    let open = true;
    onBridge((link) => {
      if (link.open && !open) void this.read().catch(() => undefined);
      open = link.open;
    });
    await this.read();
  }

  async read(): Promise<void> {
    const [state, batches] = await Promise.all([
      desk.invoke('queue.state'),
      desk.invoke('batches.list', { limit: BATCHES_READ }),
    ]);
    this.state = state;
    const byId: Record<string, BatchSummary> = { ...this.batches };
    for (const batch of batches) byId[batch.id] = batch;
    this.batches = byId;
    this.loaded = true;
  }

  /** A batch a job names: known, or read once (an older batch than the list holds). */
  batch(id: string | null | undefined): BatchSummary | null {
    if (!id) return null;
    const known = this.batches[id];
    if (known) return known;
    if (!this.asked.has(id)) {
      this.asked.add(id);
      void desk
        .invoke('batches.get', { id })
        .then((detail) => (this.batches[id] = detail.batch))
        .catch(() => undefined);
    }
    return null;
  }

  server(profileId: string): ServerQueue | null {
    return this.servers.find((s) => s.profileId === profileId) ?? null;
  }

  async pause(profileId?: string): Promise<void> {
    this.state = await desk.invoke('queue.pause', profileId ? { profileId } : {});
  }

  async resume(profileId?: string): Promise<void> {
    this.state = await desk.invoke('queue.resume', profileId ? { profileId } : {});
  }

  async setWindow(profileId: string, window: number | null): Promise<void> {
    this.state = await desk.invoke('queue.setWindow', { profileId, window });
  }

  /** Keeps a batch's summary from a command's answer (the event follows, a moment later). */
  keep(batch: BatchSummary): BatchSummary {
    this.batches[batch.id] = batch;
    return batch;
  }

  async pauseBatch(id: string): Promise<void> {
    this.keep(await desk.invoke('batches.pause', { id }));
  }

  async resumeBatch(id: string): Promise<void> {
    this.keep(await desk.invoke('batches.resume', { id }));
  }

  async cancelBatch(id: string): Promise<void> {
    this.keep(await desk.invoke('batches.cancel', { id }));
  }

  async retryFailed(id: string): Promise<void> {
    this.keep(await desk.invoke('batches.retryFailed', { id }));
  }

  /** Runs the whole batch again, as a new batch (with new seeds where the workflow has one). */
  async rerunBatch(id: string, newSeed: boolean): Promise<BatchSummary> {
    return this.keep(await desk.invoke('batches.rerun', { id, newSeed }));
  }

  async updateBatch(id: string, patch: { name?: string; color?: string | null }): Promise<void> {
    this.keep(await desk.invoke('batches.update', { id, ...patch }));
  }
}

export const queue = new QueueStore();
void queue.load().catch(() => undefined);
