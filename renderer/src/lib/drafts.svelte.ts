// Open workflows, kept like tabs. Each is a draft in the journal (drafts.save, a moment after an
// edit), so what was set up (the workflow, its values, chosen images and masks, runs and seed, a
// sweep, the servers to run on, the tab last shown) survives leaving the view, reloading the window and restarting the app.
import { untrack } from 'svelte';
import type { Draft, WorkflowReport } from '../../../shared/contract';
import { desk, messageOf } from './desk';
import { objectInfo } from './object-info';
import { serversFromSaved, sweepFromSaved, type SweepDraft } from './sweep';
import { applyFields, fieldsOf, formOfLayout, keepValues, type FieldGroup, type FormSection } from './workflow-form';
import type { NodeMode } from '../../../shared/workflow-layout';

export type SeedMode = 'fixed' | 'random' | 'increment';

/** What an image input is set to, and what the window knows of that image. */
export interface ImageChoice {
  /** The file on the server ("name" or "subfolder/name"), before any mask. */
  name: string;
  /** The name the person knows it by (Comfy Cloud renames uploads by hash): what its mask is named after. */
  label?: string;
  /** Uploaded from this computer, a gallery output, or a file the server lists. */
  from: 'upload' | 'gallery' | 'server';
  /** A gallery output's content hash: its preview and its pixels come from the store. */
  hash?: string;
  /** A small copy (data: URL) of an upload: its preview, and what a mask is painted on after a restart. */
  copy?: string;
  /** The original's size: a mask must match it. */
  width?: number;
  height?: number;
  /** The mask sent with it: the server's masked file, and the strokes (data: URL) to go on painting from. */
  mask?: { name: string; paint?: string };
  /** The file itself, for this session only (never saved). */
  blob?: Blob;
}

/** Where an open workflow is saved on a server, and the server's modified time of the version opened. */
export interface SavedSource {
  profileId: string;
  path: string;
  modified: number;
}

interface SavedState {
  version: 1;
  libraryId?: string;
  saved?: SavedSource;
  count: number;
  seed: SeedMode;
  images: Record<string, ImageChoice>;
  /** The inputs a sweep varies and the values typed for them (kept while it is off, too). */
  sweep?: SweepDraft;
  /** Several servers to run on (profile ids); absent for the active server. */
  servers?: string[];
  /** When the tab was last shown: the newest is shown again on start. */
  activeAt: number;
}

const SAVE_DELAY_MS = 300;
/** The contract keeps a draft's state under 1 MB: past this, image copies are left out (names stay). */
const STATE_BUDGET = 900_000;

export class OpenWorkflow {
  readonly id: string;
  name = $state('');
  libraryId = $state<string | undefined>(undefined);
  /** Saved on a server (opened from there, or saved there): where, and the version it was opened at. */
  saved = $state<SavedSource | null>(null);
  /**
   * The API prompt as opened or restored (for a UI workflow: as converted, with the values edited so
   * far): the form's values are applied to it to save or run it.
   */
  json: Record<string, unknown>;
  /** The workflow as saved from ComfyUI's editor (with the modes switched here), when it was one. */
  ui = $state.raw<Record<string, unknown> | null>(null);
  groups = $state<FieldGroup[]>([]);
  /** A UI workflow's form as its canvas has it: groups as sections, bypassed and muted nodes too. */
  sections = $state<FormSection[] | null>(null);
  /** The server's check of it (null until the tab is first shown). */
  report = $state<WorkflowReport | null>(null);
  count = $state(1);
  seed = $state<SeedMode>('random');
  /** By field key (NODE.INPUT). */
  images = $state<Record<string, ImageChoice>>({});
  /** A sweep set up for it (null: none yet). */
  sweep = $state<SweepDraft | null>(null);
  /** The servers its runs go to; null for the active server, as a run always went. */
  servers = $state<string[] | null>(null);
  activeAt = $state(0);
  /** An edit not in the journal yet. */
  saving = $state(false);

  prepared = false;
  closed = false;
  lastSaved = '';
  /** The workflow (JSON) the report was made for. */
  inspected = '';
  timer: ReturnType<typeof setTimeout> | undefined;
  chain: Promise<void> = Promise.resolve();
  stop: (() => void) | undefined;

  constructor(
    id: string,
    name: string,
    json: Record<string, unknown>,
    state?: Partial<SavedState>,
    ui: Record<string, unknown> | null = null,
  ) {
    this.id = id;
    this.name = name;
    this.json = json;
    this.ui = ui;
    if (state?.version === 1) {
      this.libraryId = state.libraryId;
      this.saved = state.saved ?? null;
      this.count = state.count ?? 1;
      this.seed = state.seed ?? 'random';
      this.images = state.images ?? {};
      this.sweep = sweepFromSaved(state.sweep);
      this.servers = serversFromSaved(state.servers);
      this.activeAt = state.activeAt ?? 0;
    }
  }

  /** The workflow with the form's values in it: a plain copy (it is cloned and sent over the contract). */
  edited(): Record<string, unknown> {
    return applyFields(this.json, $state.snapshot(this.groups) as FieldGroup[]);
  }

  /** What drafts.save is given; reading it tracks every edit. */
  draft(): {
    id: string;
    name: string;
    workflow: Record<string, unknown>;
    uiWorkflow: Record<string, unknown> | null;
    state: SavedState;
  } {
    const images: Record<string, ImageChoice> = {};
    // Copies (the budget below trims them, never the tab's own), without the session-only file.
    for (const [key, { blob: _blob, mask, ...kept }] of Object.entries(this.images))
      images[key] = { ...kept, ...(mask ? { mask: { ...mask } } : {}) };
    const state: SavedState = {
      version: 1,
      count: this.count,
      seed: this.seed,
      images,
      activeAt: this.activeAt,
      ...(this.libraryId ? { libraryId: this.libraryId } : {}),
      ...(this.saved ? { saved: { ...this.saved } } : {}),
      ...(this.sweep ? { sweep: $state.snapshot(this.sweep) } : {}),
      ...(this.servers ? { servers: [...this.servers] } : {}),
    };
    if (JSON.stringify(state).length > STATE_BUDGET) {
      for (const image of Object.values(images)) {
        delete image.copy;
        if (image.mask) delete image.mask.paint;
      }
    }
    return { id: this.id, name: this.name, workflow: this.edited(), uiWorkflow: this.ui, state };
  }
}

class Drafts {
  tabs = $state<OpenWorkflow[]>([]);
  activeId = $state<string | null>(null);
  active = $derived(this.tabs.find((t) => t.id === this.activeId) ?? null);
  /** Why an open workflow could not be kept, for a person. */
  error = $state<string | null>(null);
  private loading: Promise<void> | null = null;

  /** Restores the open workflows once: the tab shown last is shown again. */
  load(): Promise<void> {
    this.loading ??= desk.invoke('drafts.list').then(
      (list) => {
        for (const draft of list) this.add(restore(draft), true);
        const last = [...this.tabs].sort((a, b) => b.activeAt - a.activeAt)[0];
        if (last && !this.activeId) this.show(last, false);
      },
      (err: unknown) => {
        this.loading = null;
        this.error = `The open workflows could not be restored: ${messageOf(err)}`;
      },
    );
    return this.loading;
  }

  /**
   * A new tab for a workflow the server's check accepted (report), shown at once. A UI workflow
   * opens as its converted prompt (report.prompt), with `values` (what an output ran with) kept.
   */
  async open(
    name: string,
    json: Record<string, unknown>,
    report: WorkflowReport,
    libraryId?: string,
    values?: Record<string, unknown>,
  ) {
    await this.load();
    // A plain copy: what the gallery hands over is reactive state, which cannot be cloned.
    const plain = $state.snapshot(json) as Record<string, unknown>;
    const ran = $state.snapshot(values ?? {}) as Record<string, unknown>;
    const tab = report.prompt
      ? new OpenWorkflow(crypto.randomUUID(), name, keepValues($state.snapshot(report.prompt), ran), undefined, plain)
      : new OpenWorkflow(crypto.randomUUID(), name, plain);
    tab.report = report;
    tab.libraryId = libraryId;
    this.add(tab, false);
    this.show(tab);
    await this.prepare(tab);
    return tab;
  }

  show(tab: OpenWorkflow, remember = true): void {
    this.activeId = tab.id;
    if (remember) tab.activeAt = Date.now();
    void this.prepare(tab);
  }

  async close(tab: OpenWorkflow): Promise<void> {
    tab.closed = true;
    clearTimeout(tab.timer);
    tab.stop?.();
    const index = this.tabs.indexOf(tab);
    if (index >= 0) this.tabs.splice(index, 1);
    if (this.activeId === tab.id) {
      const next = this.tabs[index] ?? this.tabs[index - 1];
      if (next) this.show(next);
      else this.activeId = null;
    }
    // A save already on its way lands first, so the removal is the last word.
    await tab.chain;
    await desk.invoke('drafts.remove', { id: tab.id }).catch((err: unknown) => {
      this.error = `“${tab.name}” could not be closed: ${messageOf(err)}`;
    });
  }

  /** Saves what is pending now (the window is going away). */
  flushAll(): void {
    for (const tab of this.tabs) if (tab.timer) void this.flush(tab);
  }

  /** The server's check and the form, the first time a tab is shown (restored tabs wait until then). */
  private async prepare(tab: OpenWorkflow): Promise<void> {
    if (tab.prepared) return;
    tab.prepared = true;
    let report: WorkflowReport, info: Record<string, unknown> | null;
    try {
      [report, info] = await Promise.all([
        tab.report ?? desk.invoke('workflows.inspect', { workflow: tab.ui ?? tab.json }),
        objectInfo(true),
      ]);
    } catch (err) {
      tab.prepared = false; // tried again when it is shown next
      this.error = `“${tab.name}” could not be opened: ${messageOf(err)}`;
      return;
    }
    tab.report = report;
    tab.inspected = JSON.stringify(tab.json);
    if (report.format === 'api') tab.groups = fieldsOf(tab.json, info);
    else if (report.prompt && report.layout) this.applyLayout(tab, report, info);
  }

  /** A UI workflow's form from its conversion, keeping the values edited so far. */
  private applyLayout(tab: OpenWorkflow, report: WorkflowReport, info: Record<string, unknown> | null): void {
    const edited = tab.groups.length > 0 ? tab.edited() : tab.json;
    // The report is the window's state (a proxy): a plain copy is what can be cloned and sent.
    tab.json = keepValues($state.snapshot(report.prompt!) as Record<string, unknown>, edited);
    tab.inspected = JSON.stringify(tab.json);
    tab.sections = formOfLayout(tab.json, report.layout!, info);
    // The same (reactive) groups the sections show: what is typed in the form is what runs.
    tab.groups = tab.sections.flatMap((s) => s.groups).filter((g) => g.fields.length > 0);
  }

  /** Bypasses, mutes or runs a node of a UI workflow again: converted anew, the edited values kept. */
  async setMode(tab: OpenWorkflow, uiId: string, mode: NodeMode): Promise<void> {
    if (!tab.ui) return;
    const { workflow, report } = await desk.invoke('workflows.setNodeMode', { workflow: tab.ui, uiId, mode });
    if (!report.prompt || !report.layout) throw new Error(report.message ?? 'The workflow could not be converted.');
    tab.ui = workflow;
    tab.report = report;
    this.applyLayout(tab, report, await objectInfo(true));
  }

  /** The server's check again after an edit (a chosen image it has, a mask uploaded): the warnings stay true. */
  private reinspect(tab: OpenWorkflow, workflow: Record<string, unknown>): void {
    const json = JSON.stringify(workflow);
    if (!tab.prepared || json === tab.inspected) return;
    tab.inspected = json;
    desk.invoke('workflows.inspect', { workflow }).then(
      (report) => {
        if (tab.inspected === json && report.format === 'api') tab.report = report;
      },
      () => {}, // the last report stands
    );
  }

  /** Keeps the tab in the journal from now on; a restored one is already there as it is. */
  private add(tab: OpenWorkflow, saved: boolean): void {
    this.tabs.push(tab);
    tab.lastSaved = saved ? JSON.stringify(untrack(() => tab.draft())) : '';
    tab.stop = $effect.root(() => {
      $effect(() => {
        const payload = JSON.stringify(tab.draft());
        if (payload === tab.lastSaved) return;
        tab.saving = true;
        clearTimeout(tab.timer);
        tab.timer = setTimeout(() => void this.flush(tab), SAVE_DELAY_MS);
      });
    });
  }

  private async flush(tab: OpenWorkflow): Promise<void> {
    clearTimeout(tab.timer);
    tab.timer = undefined;
    const payload = JSON.stringify(tab.draft());
    if (!tab.closed && payload !== tab.lastSaved) {
      tab.lastSaved = payload;
      this.reinspect(tab, (JSON.parse(payload) as ReturnType<OpenWorkflow['draft']>).workflow);
      tab.chain = tab.chain.then(async () => {
        if (tab.closed) return;
        try {
          await desk.invoke('drafts.save', JSON.parse(payload) as ReturnType<OpenWorkflow['draft']>);
          this.error = null;
        } catch (err) {
          tab.lastSaved = '';
          this.error = `“${tab.name}” could not be kept for next time: ${messageOf(err)}`;
        }
      });
      await tab.chain;
    }
    if (!tab.timer) tab.saving = false;
  }
}

function restore(draft: Draft): OpenWorkflow {
  return new OpenWorkflow(draft.id, draft.name, draft.workflow, draft.state as Partial<SavedState>, draft.uiWorkflow);
}

export const drafts = new Drafts();

// A reload or a closed window does not wait for the debounce.
addEventListener('pagehide', () => drafts.flushAll());
