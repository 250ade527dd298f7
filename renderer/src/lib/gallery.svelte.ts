// The gallery's data: pages of outputs from the journal (keyset pagination, never the whole table),
// the filters and search that shape them, and a count. Stale answers are dropped by generation.
import type { GalleryQuery } from '../../../shared/contract';
import type { GalleryItem, OutputKind } from '../../../shared/jobs';
import { desk, messageOf } from './desk';

// Large enough that scrolling asks rarely (a page is ~100 screens of rows), small enough to parse in a frame.
export const PAGE_SIZE = 400;

export interface GalleryFilters {
  search: string;
  kinds: OutputKind[];
  status: 'all' | 'completed' | 'failed';
  favorites: boolean;
  sort: 'newest' | 'oldest';
  profileId: string;
  from: string;
  to: string;
  /** A workflow by name ('' for all): each edit of a workflow is its own in the journal, with the same name. */
  workflow: string;
}

/** A workflow as the filter lists it: once per name, with how many outputs of it the gallery holds. */
export interface WorkflowChoice {
  name: string;
  /** The journal's workflows of that name, newest first. */
  ids: string[];
  outputs: number;
}

/** The contract's longest search text. */
const MAX_SEARCH = 500;

/** Runs `fn` over `items`, at most `limit` at a time, answers in order. */
async function mapLimited<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

class GalleryState {
  items = $state<GalleryItem[]>([]);
  total = $state<number | null>(null);
  loading = $state(false);
  done = $state(false);
  error = $state<string | null>(null);
  filters = $state<GalleryFilters>({
    search: '',
    kinds: [],
    status: 'all',
    favorites: false,
    sort: 'newest',
    profileId: '',
    from: '',
    to: '',
    workflow: '',
  });
  workflows = $state<WorkflowChoice[]>([]);
  filtered = $derived(
    this.filters.search.trim() !== '' ||
      this.filters.kinds.length > 0 ||
      this.filters.status !== 'all' ||
      this.filters.favorites ||
      this.filters.profileId !== '' ||
      this.filters.from !== '' ||
      this.filters.to !== '' ||
      this.filters.workflow !== '',
  );

  private cursor: string | null = null;
  private generation = 0;
  private started = false;
  private refreshTimer: ReturnType<typeof setTimeout> | null = null;

  /** Called when the gallery opens: the first time it subscribes; later, it reads the first page again. */
  start(): void {
    if (this.started) {
      void this.reset();
      return;
    }
    this.started = true;
    desk.on('output.changed', (item) => {
      const index = this.items.findIndex((i) => i.id === item.id);
      if (index >= 0) this.items[index] = { ...this.items[index]!, ...item };
      else if (item.state === 'stored') this.scheduleRefresh();
    });
    void this.reset();
  }

  /**
   * The workflows of the gallery, once per name. The journal lists one entry per version of a
   * workflow (each edit, each re-run of a changed seed) and counts its jobs: the outputs are
   * counted here, and names with none are left out.
   */
  async loadWorkflows(): Promise<void> {
    const entries = await desk.invoke('workflows.list');
    const counts = await mapLimited(entries, 6, (e) =>
      desk.invoke('gallery.count', { workflowId: e.id }).then((r) => r.count),
    );
    // Plain data, made once and then handed to the state (no reactive map needed).
    const byName: Record<string, WorkflowChoice> = Object.create(null);
    const choices: WorkflowChoice[] = [];
    entries.forEach((entry, i) => {
      let choice = byName[entry.name];
      if (!choice) choices.push((choice = byName[entry.name] = { name: entry.name, ids: [], outputs: 0 }));
      choice.ids.push(entry.id);
      choice.outputs += counts[i] ?? 0;
    });
    this.workflows = choices.filter((w) => w.outputs > 0);
  }

  /** The journal's workflows behind the chosen name. */
  private workflowIds(): string[] {
    const name = this.filters.workflow;
    return name ? ($state.snapshot(this.workflows.find((w) => w.name === name)?.ids) ?? []) : [];
  }

  /** Every filter but the workflow. */
  private base(): Omit<GalleryQuery, 'limit' | 'after'> {
    const f = this.filters;
    const q: Omit<GalleryQuery, 'limit' | 'after'> = { sort: f.sort };
    if (f.search.trim()) q.search = f.search.trim();
    if (f.kinds.length) q.kinds = [...f.kinds];
    if (f.status !== 'all') q.jobStates = [f.status];
    if (f.favorites) q.favorites = true;
    if (f.profileId) q.profileId = f.profileId;
    if (f.from) q.from = new Date(`${f.from}T00:00:00`).getTime();
    if (f.to) q.to = new Date(`${f.to}T23:59:59.999`).getTime();
    return q;
  }

  /**
   * What the journal is asked. A workflow name with one version filters by its id; with several,
   * the contract filters by one id only, so the search narrows to jobs mentioning the name and
   * `accepts` keeps the exact name.
   */
  query(): Omit<GalleryQuery, 'limit' | 'after'> {
    const q = this.base();
    const ids = this.workflowIds();
    if (ids.length === 1) q.workflowId = ids[0]!;
    else if (this.filters.workflow) {
      const search = [q.search, this.filters.workflow].filter(Boolean).join(' ');
      if (search.length <= MAX_SEARCH) q.search = search;
    }
    return q;
  }

  /** Whether an output from the journal belongs in the grid (the workflow chosen by name). */
  private accepts(item: GalleryItem): boolean {
    return !this.filters.workflow || item.workflowName === this.filters.workflow;
  }

  private async count(): Promise<number> {
    const { sort: _sort, ...filter } = this.base();
    if (!this.filters.workflow) return (await desk.invoke('gallery.count', filter)).count;
    const counts = await mapLimited(this.workflowIds(), 6, (workflowId) =>
      desk.invoke('gallery.count', { ...filter, workflowId }).then((r) => r.count),
    );
    return counts.reduce((a, b) => a + b, 0);
  }

  async reset(): Promise<void> {
    const generation = ++this.generation;
    this.cursor = null;
    this.done = false;
    this.loading = false;
    this.error = null;
    void this.count()
      .then((count) => generation === this.generation && (this.total = count))
      .catch(() => undefined);
    await this.loadMore(generation, true);
  }

  async loadMore(generation = this.generation, replace = false): Promise<void> {
    if ((this.loading && !replace) || (this.done && !replace)) return;
    this.loading = true;
    try {
      // Pages whose outputs are all of another workflow of a similar name are read through.
      let items: GalleryItem[] = [];
      do {
        const page = await desk.invoke('gallery.page', {
          ...this.query(),
          limit: PAGE_SIZE,
          ...(this.cursor ? { after: this.cursor } : {}),
        });
        if (generation !== this.generation) return;
        items = page.items.filter((i) => this.accepts(i));
        this.cursor = page.nextCursor;
        this.done = page.nextCursor === null;
      } while (items.length === 0 && !this.done);
      this.items = replace ? items : [...this.items, ...items];
    } catch (err) {
      if (generation === this.generation) this.error = messageOf(err);
    } finally {
      if (generation === this.generation) this.loading = false;
    }
  }

  /** New outputs arrived: the first page is read again and what is new goes on top. */
  private scheduleRefresh(): void {
    if (this.refreshTimer) return;
    this.refreshTimer = setTimeout(async () => {
      this.refreshTimer = null;
      if (this.filters.sort !== 'newest') return;
      const generation = this.generation;
      const page = await desk.invoke('gallery.page', { ...this.query(), limit: 50 }).catch(() => null);
      if (!page || generation !== this.generation) return;
      const known = new Set(this.items.map((i) => i.id));
      const fresh = page.items.filter((i) => !known.has(i.id) && this.accepts(i));
      if (fresh.length > 0) {
        this.items = [...fresh, ...this.items];
        if (this.total !== null) this.total += fresh.length;
      }
    }, 400);
  }

  remove(ids: number[]): void {
    const gone = new Set(ids);
    this.items = this.items.filter((i) => !gone.has(i.id));
    if (this.total !== null) this.total = Math.max(0, this.total - ids.length);
  }
}

export const gallery = new GalleryState();
