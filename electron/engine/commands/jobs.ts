// The contract's jobs and sync commands (the app's own queue and batches: queue.ts).
import { DeskError } from '../../../shared/errors';
import type { JobsModule } from '../jobs/module';
import type { EngineParts } from '../parts';
import { toSummary } from '../journal/jobs';
import { parseApiWorkflow } from '../workflows/api-format';
import type { HandlersOf } from './types';

export function jobCommands(
  parts: Pick<EngineParts, 'library' | 'gallery' | 'uiWorkflows'>,
  jobs: JobsModule,
  profiles: { active(): string; exists(id: string): boolean },
): HandlersOf<'jobs' | 'sync'> {
  const profileOr = (id?: string): string => id ?? profiles.active();
  return {
    'jobs.submit': (input) => {
      const workflow = parseApiWorkflow(input.workflow);
      const profileId = profileOr(input.profileId);
      for (const id of [profileId, ...(input.profileIds ?? [])])
        if (!profiles.exists(id)) throw new DeskError('not_found', `No server profile "${id}".`);
      for (const axis of input.sweep ?? []) {
        if (!workflow[axis.nodeId])
          throw new DeskError('invalid_input', `The workflow has no node ${axis.nodeId} to sweep.`);
      }
      const submitted = jobs.service.submit({
        profileId,
        workflow,
        name: input.name,
        ...(input.uiWorkflow ? { uiWorkflow: input.uiWorkflow } : {}),
        ...(input.inputs ? { inputs: input.inputs } : {}),
        ...(input.count ? { count: input.count } : {}),
        ...(input.seed ? { seed: input.seed } : {}),
        ...(input.profileIds ? { profileIds: input.profileIds } : {}),
        ...(input.sweep ? { sweep: input.sweep } : {}),
        ...(input.batchName || input.batchColor
          ? { batch: { ...(input.batchName ? { name: input.batchName } : {}), color: input.batchColor ?? null } }
          : {}),
      });
      if (input.libraryId)
        parts.library.used(
          input.libraryId,
          submitted.map((j) => j.id),
        );
      return submitted;
    },
    'jobs.list': (query) => parts.gallery.jobs(query),
    'jobs.get': ({ id }) => {
      const job = jobs.journal.get(id);
      if (!job) throw new DeskError('not_found', `There is no job ${id}.`);
      return {
        job: toSummary(job),
        prompt: job.prompt,
        uiWorkflow: parts.uiWorkflows.get(job.uiWorkflowId),
        inputs: (job.inputs ?? {}) as Record<string, unknown>,
        events: jobs.journal.events(id),
        outputs: jobs.journal.outputs(id),
      };
    },
    'jobs.cancel': ({ id }) => jobs.service.cancel(id),
    'jobs.interrupt': async ({ id, profileId }) => {
      const job = id ? jobs.journal.get(id) : null;
      await jobs.service.interrupt(job?.profileId ?? profileOr(profileId), id);
    },
    'jobs.clearPending': async ({ profileId }) => ({
      cleared: await jobs.service.clearPending(profileOr(profileId)),
    }),
    'jobs.rerun': ({ id, newSeed }) => jobs.service.rerun(id, newSeed ?? false),
    'sync.run': async ({ profileId }) => ({ imported: await jobs.sync(profileOr(profileId)) }),
  };
}
