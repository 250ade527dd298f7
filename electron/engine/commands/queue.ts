// The contract's queue and batches commands: the app's own queue (pause, windows, order, servers)
// and batches (runs submitted together) as wholes.
import { DeskError } from '../../../shared/errors';
import { isFinalJobState } from '../../../shared/jobs';
import type { JobsModule } from '../jobs/module';
import { renderSweepGrid } from '../jobs/grid';
import { toSummary } from '../journal/jobs';
import type { HandlersOf } from './types';

export function queueCommands(
  jobs: JobsModule,
  profiles: { active(): string; exists(id: string): boolean },
): HandlersOf<'queue' | 'batches'> {
  const profileOr = (id?: string): string => id ?? profiles.active();
  const mustExist = (ids: string[]): void => {
    const missing = ids.find((id) => !profiles.exists(id));
    if (missing) throw new DeskError('not_found', `There is no server profile "${missing}".`);
  };
  /** A queue change: told to the window, and the dispatcher plans again. */
  const changed = () => {
    jobs.queueChanged();
    jobs.service.dispatcher.wake();
    return jobs.queueState();
  };
  const batchChanged = (id: string) => {
    jobs.batchChanged(id);
    jobs.service.dispatcher.wake();
    return jobs.queue.mustBatch(id);
  };
  const cancelAll = async (ids: string[]): Promise<number> => {
    let cancelled = 0;
    for (const id of ids) {
      const job = jobs.journal.get(id);
      if (!job || isFinalJobState(job.state)) continue;
      const after = await jobs.service.cancel(id).catch(() => null);
      if (after && after.state !== job.state) cancelled += 1;
    }
    return cancelled;
  };
  return {
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
    'queue.state': () => jobs.queueState(),
    'queue.pause': ({ profileId }) => {
      if (profileId) {
        mustExist([profileId]);
        jobs.queue.setServerPaused(profileId, true);
      } else jobs.queue.setPaused(true);
      return changed();
    },
    'queue.resume': ({ profileId }) => {
      if (profileId) {
        mustExist([profileId]);
        jobs.queue.setServerPaused(profileId, false);
        // Resuming is the person acting: a wait for them on this server ends too.
        jobs.service.retryNow(profileId);
      } else jobs.queue.setPaused(false);
      return changed();
    },
    'queue.setWindow': ({ profileId, window }) => {
      mustExist([profileId]);
      jobs.queue.setWindow(profileId, window);
      return changed();
    },
    'queue.move': ({ ids, to, anchor }) => {
      if ((to === 'before' || to === 'after') && !anchor)
        throw new DeskError('invalid_input', `Moving ${to} another job needs that job (anchor).`);
      const moved = jobs.queue.move(ids, to, anchor);
      for (const id of ids) {
        jobs.service.changed(id);
      }
      changed();
      return { moved };
    },
    'queue.route': ({ ids, profileIds }) => {
      mustExist(profileIds);
      const changedCount = jobs.queue.setRoute(ids, [...new Set(profileIds)]);
      for (const id of ids) {
        if (!jobs.journal.get(id)) continue;
        jobs.journal.appendEvent(id, 'route', `the user sent it to ${profileIds.join(', ')}`);
        jobs.service.changed(id);
      }
      changed();
      return { changed: changedCount };
    },
    'queue.cancel': async ({ ids }) => ({ cancelled: await cancelAll(ids) }),
    'batches.list': ({ limit }) => jobs.queue.batches(limit ?? 100),
    'batches.get': ({ id }) => {
      const batch = jobs.queue.mustBatch(id);
      const list = jobs.queue.batchJobIds(id).flatMap((jobId) => {
        const job = jobs.journal.get(jobId);
        return job ? [toSummary(job)] : [];
      });
      return { batch, jobs: list, cells: batch.axes.length > 0 ? jobs.queue.cells(id) : [] };
    },
    'batches.update': ({ id, name, color }) => {
      jobs.queue.updateBatch(id, {
        ...(name !== undefined ? { name } : {}),
        ...(color !== undefined ? { color } : {}),
      });
      return batchChanged(id);
    },
    'batches.pause': ({ id }) => {
      jobs.queue.updateBatch(id, { paused: true });
      return batchChanged(id);
    },
    'batches.resume': ({ id }) => {
      jobs.queue.updateBatch(id, { paused: false });
      return batchChanged(id);
    },
    'batches.cancel': async ({ id }) => {
      jobs.queue.mustBatch(id);
      await cancelAll(jobs.queue.batchJobIds(id));
      return batchChanged(id);
    },
    'batches.retryFailed': ({ id }) => {
      jobs.queue.mustBatch(id);
      const failed = jobs.queue.batchJobIds(id).filter((jobId) => {
        // Failed, not stopped: a run the person cancelled or interrupted stays stopped.
        return jobs.journal.get(jobId)?.state === 'failed';
      });
      if (failed.length === 0) throw new DeskError('conflict', 'No run of this batch failed.');
      jobs.service.rerunMany(failed, { newSeed: false, batch: id, replaces: true });
      return batchChanged(id);
    },
    'batches.rerun': ({ id, newSeed }) => {
      const batch = jobs.queue.mustBatch(id);
      const made = jobs.service.rerunMany(jobs.queue.batchJobIds(id), {
        newSeed: newSeed ?? false,
        batch: {
          name: `${batch.name} (again)`,
          color: batch.color,
          kind: batch.kind,
          profileIds: batch.profileIds,
          axes: batch.axes,
        },
      });
      return jobs.queue.mustBatch(made[0]!.batchId!);
    },
    'batches.fromJobs': ({ ids, newSeed, name }) => {
      const known = ids.filter((id) => jobs.journal.get(id));
      if (known.length === 0) throw new DeskError('not_found', 'None of these jobs is in the journal.');
      const first = jobs.journal.get(known[0]!)!;
      const made = jobs.service.rerunMany(known, {
        newSeed: newSeed ?? false,
        batch: {
          name: name ?? `${first.workflowName}: ${known.length} runs again`,
          color: null,
          kind: 'rerun',
          profileIds: [
            ...new Set(known.flatMap((id) => jobs.journal.get(id)?.route ?? [jobs.journal.get(id)!.profileId])),
          ],
          axes: [],
        },
      });
      return jobs.queue.mustBatch(made[0]!.batchId!);
    },
    'batches.grid': async ({ id }) => {
      const batch = jobs.queue.mustBatch(id);
      if (batch.axes.length === 0) throw new DeskError('conflict', 'Only a sweep has a grid.');
      const grid = await renderSweepGrid(batch.axes, jobs.queue.cells(id), jobs.store);
      return { hash: grid.hash, width: grid.width, height: grid.height };
    },
  };
}
