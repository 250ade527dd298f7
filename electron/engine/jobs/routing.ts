// What a job needs from a server before it can go there: its node types and model files (checked
// against that server's object_info), and its input images (uploaded there first, once per server
// and content hash). A spread job is sent only where it can run.
import { readFile } from 'node:fs/promises';
import { DeskError } from '../../../shared/errors';
import type { ServerKind } from '../../../shared/contract';
import type { ComfyHttp } from '../cloud/http';
import type { OutputStore } from '../store';
import { limitsFrom, type UploadService } from '../uploads';
import type { ApiWorkflow } from '../workflows/api-format';
import { validateWorkflow } from '../workflows/validate';
import type { Capability } from './scheduler';

/** The problems that mean "this server cannot run it", as opposed to a value the server would refuse anywhere. */
const MISSING = new Set(['unknown_class', 'value_not_in_list', 'no_options', 'missing_file']);

export interface RouterDeps {
  uploads: UploadService;
  store: OutputStore;
  objectInfo(profileId: string): Record<string, unknown> | null;
  kind(profileId: string): ServerKind | null;
  http(profileId: string): ComfyHttp;
  features(profileId: string): Promise<Record<string, unknown> | null>;
}

export class Router {
  /** Per job and server: whether it can run there (object_info changes only on reconnect). */
  private readonly verdicts = new Map<string, boolean>();

  constructor(private readonly deps: RouterDeps) {}

  /** Whether a server has (or can be given) what the workflow needs; unknown until its object_info is read. */
  canRun(jobId: string, promptOf: () => ApiWorkflow | null, profileId: string): Capability {
    const key = `${jobId}\u0000${profileId}`;
    const known = this.verdicts.get(key);
    if (known !== undefined) return known ? 'yes' : 'no';
    const info = this.deps.objectInfo(profileId);
    if (!info) return 'unknown';
    // Read only when no verdict is kept: the dispatcher asks on every plan.
    const prompt = promptOf();
    if (!prompt) return 'no';
    let verdict: boolean;
    try {
      const problems = validateWorkflow(prompt, info, {
        uploaded: (name) => this.reachable(name, profileId),
        listsInputFiles: this.deps.kind(profileId) === 'local',
      });
      verdict =
        !problems.some((node) => node.problems.some((p) => p.type && MISSING.has(p.type))) &&
        // Input files we uploaded elsewhere and cannot bring (a mask: its bytes are the server's own).
        this.inputFiles(prompt).every((name) => this.reachable(name, profileId));
    } catch {
      // Node definitions we cannot read: that server is not trusted with a spread job.
      verdict = false;
    }
    this.verdicts.set(key, verdict);
    return verdict ? 'yes' : 'no';
  }

  /** An input file is on the server already, or we can take it there. */
  private reachable(name: string, profileId: string): boolean {
    return this.deps.uploads.has(profileId, name) || this.deps.uploads.canBring(name);
  }

  /** A server's node definitions changed (reconnected): its verdicts are made again. */
  forget(profileId: string): void {
    for (const key of this.verdicts.keys()) if (key.endsWith(`\u0000${profileId}`)) this.verdicts.delete(key);
  }

  /** Done with a job: its verdicts go. */
  done(jobId: string): void {
    for (const key of this.verdicts.keys()) if (key.startsWith(`${jobId}\u0000`)) this.verdicts.delete(key);
  }

  /**
   * Makes the prompt ready for a server: every input image we uploaded to another server is
   * uploaded to this one (or found there already) and the input renamed to what this server calls
   * it. Returns the prompt to send, or the same object when nothing changed.
   */
  async prepare(prompt: ApiWorkflow, profileId: string): Promise<ApiWorkflow> {
    const missing = this.inputFiles(prompt).filter((name) => !this.deps.uploads.has(profileId, name));
    if (missing.length === 0) return prompt;
    const renamed = new Map<string, string>();
    for (const name of missing) {
      const source = this.deps.uploads.source(name);
      const path = source ? await this.deps.store.locate(source.hash) : null;
      if (!source || !path)
        throw new DeskError(
          'not_found',
          `The input image ${name} is not on this computer, so it cannot be sent to another server.`,
        );
      const bytes = await readFile(path);
      const limits = limitsFrom(await this.deps.features(profileId).catch(() => null));
      const ref = await this.deps.uploads.upload(
        this.deps.http(profileId),
        profileId,
        { name: name.split('/').pop()!, bytes },
        { kind: 'image', limits },
      );
      renamed.set(name, ref.subfolder ? `${ref.subfolder}/${ref.name}` : ref.name);
    }
    const copy = structuredClone(prompt);
    for (const node of Object.values(copy))
      for (const [input, value] of Object.entries(node.inputs))
        if (typeof value === 'string' && renamed.has(value)) node.inputs[input] = renamed.get(value)!;
    return copy;
  }

  /** The prompt's string inputs that name a file we uploaded to some server. */
  private inputFiles(prompt: ApiWorkflow): string[] {
    const names = new Set<string>();
    for (const node of Object.values(prompt))
      for (const value of Object.values(node.inputs))
        if (typeof value === 'string' && value.length < 512 && this.deps.uploads.known(value)) names.add(value);
    return [...names];
  }
}
