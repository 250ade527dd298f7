// The contract's jobs, queue and sync commands.
import { DeskError } from '../../../shared/errors';
import type { JobsModule } from '../jobs/module';
import { toSummary } from '../journal/jobs';
import { parseApiWorkflow } from '../workflows/api-format';
import type { HandlersOf } from './types';

export function jobCommands(
  jobs: JobsModule,
  profiles: { active(): string; exists(id: string): boolean },
): HandlersOf<'jobs' | 'queue' | 'sync'> {
  const profileOr = (id?: string): string => id ?? profiles.active();
  return {
    'jobs.submit': (input) => {
      const workflow = parseApiWorkflow(input.workflow);
      const profileId = profileOr(input.profileId);
      if (!profiles.exists(profileId)) throw new DeskError('not_found', `No server profile "${profileId}".`);
      const submitted = jobs.service.submit({
        profileId,
        workflow,
        name: input.name,
        ...(input.inputs ? { inputs: input.inputs } : {}),
        ...(input.count ? { count: input.count } : {}),
        ...(input.seed ? { seed: input.seed } : {}),
      });
      if (input.libraryId)
        jobs.library.used(
          input.libraryId,
          submitted.map((j) => j.id),
        );
      return submitted;
    },
    'jobs.list': (query) => jobs.gallery.jobs(query),
    'jobs.get': ({ id }) => {
      const job = jobs.journal.get(id);
      if (!job) throw new DeskError('not_found', `There is no job ${id}.`);
      return {
        job: toSummary(job),
        prompt: job.prompt,
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
    'queue.remote': async ({ profileId }) => {
      const session = jobs.session(profileOr(profileId));
      const queue = await session.api.queue();
      const entry = (q: { promptId: string; number: number }) => ({
        promptId: q.promptId,
        number: q.number,
        jobId: jobs.journal.byPromptId(session.profile.id, q.promptId)?.id ?? null,
      });
      return { running: queue.running.map(entry), pending: queue.pending.map(entry) };
    },
    'sync.run': async ({ profileId }) => ({ imported: await jobs.sync(profileOr(profileId)) }),
  };
}
