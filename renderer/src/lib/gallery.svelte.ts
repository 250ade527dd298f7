// The gallery's data: pages of outputs from the journal (keyset pagination, never the whole table),
// the filters and search that shape them, and a count. Stale answers are dropped by generation.
import type { GalleryFilter, GalleryQuery, WorkflowEntry } from '../../../shared/contract';
import type { GalleryItem, OutputKind } from '../../../shared/jobs';
import type { Album } from '../../../shared/organize';
import { desk, messageOf } from './desk';
import { foldNeighbours, type Folded } from './organize';

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
  /** ComfyUI's temporary previews (PreviewImage) shown too; saved outputs only by default. */
  previews: boolean;
  /** Rated at least this (0: any rating, or none). */
  minRating: number;
  /** Has every one of these tags. */
  tags: string[];
  /** In this album ('' for every output); a smart album is its saved search. */
  albumId: string;
}

/** What "Clear filters" goes back to; the sort and the previews choice are how the person likes to look, kept. */
const NO_FILTERS: Omit<GalleryFilters, 'sort' | 'previews'> = {
  search: '',
  kinds: [],
  status: 'all',
  favorites: false,
  profileId: '',
  from: '',
  to: '',
  workflow: '',
  minRating: 0,
  tags: [],
  albumId: '',
};

class GalleryState {
  /**
   * The loaded outputs, not deeply reactive: a page appended is an array copied, never tens of thousands
   * of items walked through proxies, and a tile reads plain fields. An item is changed by replacing it
   * (and the array): `replace`, `patch`.
   */
  items = $state.raw<GalleryItem[]>([]);
  total = $state<number | null>(null);
  /** The total is an estimate (a count that would take too long exactly): shown as "about". */
  totalEstimated = $state(false);
  loading = $state(false);
  done = $state(false);
  error = $state<string | null>(null);
  filters = $state<GalleryFilters>({ ...NO_FILTERS, kinds: [], tags: [], sort: 'newest', previews: false });
  workflows = $state<WorkflowEntry[]>([]);
  albums = $state<Album[]>([]);
  /** Near-identical neighbours folded into one tile ("Group similar"). */
  groupSimilar = $state(false);
  /** The grid's tiles when grouping: computed only while asked for (the 100k grid stays a plain list). */
  folded = $derived<Folded | null>(this.groupSimilar ? foldNeighbours(this.items) : null);
  album = $derived(this.albums.find((a) => a.id === this.filters.albumId) ?? null);
  /** Temporary previews left out of an empty saved-only view: the view offers to show them. */
  hiddenPreviews = $state(0);
  /** Any filter but the album: a search a smart album could keep. */
  searched = $derived(
    this.filters.search.trim() !== '' ||
      this.filters.kinds.length > 0 ||
      this.filters.status !== 'all' ||
      this.filters.favorites ||
      this.filters.profileId !== '' ||
      this.filters.from !== '' ||
      this.filters.to !== '' ||
      this.filters.workflow !== '' ||
      this.filters.minRating > 0 ||
      this.filters.tags.length > 0,
  );
  filtered = $derived(this.searched || this.filters.albumId !== '');
  /**
   * "Save as smart album" is offered for a search: over every output, or inside an album chosen by
   * hand (the new one keeps both); inside a smart album, its own search is already what is kept.
   */
  searchFiltered = $derived(this.searched && this.album?.smart !== true);

  private cursor: string | null = null;
  private generation = 0;
  private started = false;
  private refreshTimer: ReturnType<typeof setTimeout> | null = null;

  /** Called when the gallery opens: the first time it subscribes; later, it reads the first page again. */
  start(): void {
    void this.loadAlbums();
    if (this.started) {
      void this.reset();
      return;
    }
    this.started = true;
    desk.on('output.changed', (item) => {
      if (!this.replace(item.id, () => item) && item.state === 'stored') this.scheduleRefresh();
    });
    void this.reset();
  }

  /** Back after the host bridge was lost: the first page and the workflows, read again. */
  async reload(): Promise<void> {
    if (!this.started) return;
    await Promise.all([this.reset(), this.loadWorkflows().catch(() => undefined), this.loadAlbums()]);
  }

  /** Back to every output (the caller reads the first page again). */
  clearFilters(): void {
    Object.assign(this.filters, { ...NO_FILTERS, kinds: [], tags: [] });
  }

  /** The albums, with what each holds now (read again after anything that may change them). */
  async loadAlbums(): Promise<void> {
    try {
      this.albums = await desk.invoke('albums.list');
    } catch {
      // Keeps the list it has: albums are a convenience, the gallery shows without them.
    }
  }

  /** The current filters as a smart album's saved search: what the gallery asks, without the sort. */
  savedSearch(): GalleryFilter {
    const { sort: _sort, ...filter } = this.query();
    return filter;
  }

  /** The workflows of the gallery, once per name, with their outputs (the journal counts them). */
  async loadWorkflows(): Promise<void> {
    this.workflows = await desk.invoke('workflows.list');
  }

  /** What the journal is asked: every filter, the workflow by name. */
  query(): Omit<GalleryQuery, 'limit' | 'after'> {
    const f = this.filters;
    const q: Omit<GalleryQuery, 'limit' | 'after'> = { sort: f.sort };
    if (f.search.trim()) q.search = f.search.trim();
    if (f.kinds.length) q.kinds = [...f.kinds];
    if (f.status !== 'all') q.jobStates = [f.status];
    if (f.favorites) q.favorites = true;
    if (f.profileId) q.profileId = f.profileId;
    if (f.from) q.from = new Date(`${f.from}T00:00:00`).getTime();
    if (f.to) q.to = new Date(`${f.to}T23:59:59.999`).getTime();
    if (f.workflow) q.workflowName = f.workflow;
    if (!f.previews) q.saved = true;
    if (f.minRating > 0) q.minRating = f.minRating;
    if (f.tags.length) q.tags = [...f.tags];
    if (f.albumId) q.albumId = f.albumId;
    return q;
  }

  private async count(generation: number): Promise<void> {
    const { sort: _sort, ...filter } = this.query();
    const { count, estimated } = await desk.invoke('gallery.count', filter);
    if (generation !== this.generation) return;
    this.total = count;
    this.totalEstimated = estimated === true;
    // Only when nothing shows: is it because previews are left out? (One more count, on empty views only.)
    const { saved, ...withPreviews } = filter;
    const all = count === 0 && saved ? (await desk.invoke('gallery.count', withPreviews)).count : 0;
    if (generation === this.generation) this.hiddenPreviews = all;
  }

  async reset(): Promise<void> {
    const generation = ++this.generation;
    this.cursor = null;
    this.done = false;
    this.loading = false;
    this.error = null;
    void this.count(generation).catch(() => undefined);
    await this.loadMore(generation, true);
  }

  async loadMore(generation = this.generation, replace = false): Promise<void> {
    if ((this.loading && !replace) || (this.done && !replace)) return;
    this.loading = true;
    try {
      const page = await desk.invoke('gallery.page', {
        ...this.query(),
        limit: PAGE_SIZE,
        ...(this.cursor ? { after: this.cursor } : {}),
      });
      if (generation !== this.generation) return;
      this.cursor = page.nextCursor;
      this.done = page.nextCursor === null;
      this.items = replace ? page.items : [...this.items, ...page.items];
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
      const fresh = page.items.filter((i) => !known.has(i.id));
      if (fresh.length > 0) {
        this.items = [...fresh, ...this.items];
        if (this.total !== null) this.total += fresh.length;
      }
    }, 400);
  }

  /** Outputs changed here (a rating, tags): the tiles show it at once, before the engine's events. */
  patch(ids: readonly number[], change: (item: GalleryItem) => Partial<GalleryItem>): void {
    const set = new Set(ids);
    let changed = false;
    const next = this.items.map((item) => {
      if (!set.has(item.id)) return item;
      changed = true;
      return { ...item, ...change(item) };
    });
    if (changed) this.items = next;
  }

  /** One output changed (an event): false when it is not loaded. */
  private replace(id: number, change: (item: GalleryItem) => Partial<GalleryItem>): boolean {
    const index = this.items.findIndex((i) => i.id === id);
    if (index < 0) return false;
    const item = this.items[index]!;
    this.items = this.items.with(index, { ...item, ...change(item) });
    return true;
  }

  remove(ids: number[]): void {
    const gone = new Set(ids);
    this.items = this.items.filter((i) => !gone.has(i.id));
    if (this.total !== null) this.total = Math.max(0, this.total - ids.length);
  }
}

export const gallery = new GalleryState();
