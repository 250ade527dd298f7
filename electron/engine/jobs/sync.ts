// Imports the account's jobs that ran elsewhere (the web UI, another machine) from /api/jobs, newest
// first, stopping at what was seen before: the journal becomes the user's whole history.
import { randomUUID } from 'node:crypto';
import type { JobState, OutputItem } from '../../../shared/jobs';
import type { RemoteJob } from '../cloud/api';
import type { JobJournal } from '../journal/jobs';
import { isPlainObject } from '../../../shared/schema';
import { isUiWorkflow, promptTextOf, type ApiWorkflow } from '../workflows/api-format';
import type { ServerSession } from './session';

export interface SyncDeps {
  journal: JobJournal;
  session: ServerSession;
  /** Whether imported jobs' outputs are downloaded too (a setting). */
  downloadOutputs: boolean;
  enqueueDownload(item: OutputItem, profileId: string): void;
  /** Keeps the UI workflow another client sent with a job (extra_pnginfo), so it opens as its graph. */
  uiWorkflows: { save(ui: Record<string, unknown>): string };
  log: { warn(m: string, f?: Record<string, unknown>): void };
  pageSize?: number;
  maxPages?: number;
}

const FINAL: Record<RemoteJob['status'], JobState | null> = {
  completed: 'completed',
  failed: 'failed',
  cancelled: 'cancelled',
  pending: null,
  running: null,
  unknown: null,
};

export async function syncJobs(deps: SyncDeps): Promise<number> {
  const { journal, session } = deps;
  const profileId = session.profile.id;
  const pageSize = deps.pageSize ?? 100;
  const maxPages = deps.maxPages ?? 50;
  let imported = 0;
  for (let page = 0; page < maxPages; page++) {
    const { items, hasMore } = await session.api.jobs({ offset: page * pageSize, limit: pageSize });
    let knownInPage = 0;
    for (const item of items) {
      if (journal.byPromptId(profileId, item.promptId)) {
        knownInPage += 1;
        continue;
      }
      const state = FINAL[item.status];
      if (!state) continue; // still running elsewhere: imported once it has finished
      try {
        if (await importJob(deps, item, state)) imported += 1;
      } catch (err) {
        deps.log.warn('sync: one job could not be imported; skipped', {
          promptId: item.promptId,
          error: (err as Error).message,
        });
      }
    }
    // A page that is all known means we reached what an earlier sync imported.
    if (!hasMore || items.length === 0 || knownInPage === items.length) break;
  }
  return imported;
}

async function importJob(deps: SyncDeps, listed: RemoteJob, state: JobState): Promise<boolean> {
  const { journal, session } = deps;
  const detail = (await session.api.job(listed.promptId)) ?? listed;
  const prompt = (detail.prompt ?? {}) as ApiWorkflow;
  const profileId = session.profile.id;
  const added: OutputItem[] = [];
  const ui = uiWorkflowOfExtra(detail.extraData);
  journal.transaction(() => {
    const workflowId = journal.saveWorkflow(prompt, `Imported from ${session.profile.name}`);
    const job = journal.createJob({
      id: randomUUID(),
      profileId,
      workflowId,
      prompt,
      promptId: listed.promptId,
      state,
      source: 'sync',
      promptText: promptTextOf(prompt),
      createdAt: detail.createdAt ?? listed.createdAt ?? Date.now(),
      startedAt: detail.startedAt,
      finishedAt: detail.finishedAt ?? detail.createdAt,
      error: detail.error ? { kind: 'execution', ...detail.error } : null,
      cause: 'sync: ran in another client of this account',
      uiWorkflowId: ui ? deps.uiWorkflows.save(ui) : null,
    });
    for (const output of detail.outputs) {
      const { item, added: isNew } = journal.addOutput(job.id, {
        ...output,
        createdAt: job.finishedAt ?? job.createdAt,
      });
      if (isNew) added.push(item);
    }
  });
  if (deps.downloadOutputs) for (const item of added) deps.enqueueDownload(item, profileId);
  return true;
}

/** The graph ComfyUI's frontend sends beside a prompt (extra_data.extra_pnginfo.workflow), if any. */
function uiWorkflowOfExtra(extra: Record<string, unknown> | null): Record<string, unknown> | null {
  const info = extra?.extra_pnginfo;
  const workflow = isPlainObject(info) ? info.workflow : null;
  return isUiWorkflow(workflow) ? (workflow as Record<string, unknown>) : null;
}
