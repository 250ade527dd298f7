// The contract's commands for each server's saved workflows (the person's library where they saved
// it) and its templates.
import { DeskError } from '../../../shared/errors';
import type { JobsModule } from '../jobs/module';
import type { SavedWorkflows } from '../jobs/saved-workflows';
import { isUiWorkflow, parseApiWorkflow } from '../workflows/api-format';
import { graphWithValues } from '../workflows/graph-values';
import type { HandlersOf } from './types';

export function savedWorkflowCommands(jobs: JobsModule, saved: SavedWorkflows): HandlersOf<'saved'> {
  const known = (profileId: string): string => {
    if (jobs.profileKind(profileId) === null)
      throw new DeskError('not_found', `There is no server profile "${profileId}".`);
    return profileId;
  };
  return {
    'saved.list': ({ profileId, refresh }) => saved.list(known(profileId), refresh ?? true),
    'saved.open': ({ profileId, path }) => saved.open(known(profileId), path),
    'saved.save': ({ profileId, path, base, workflow, uiWorkflow }) => {
      known(profileId);
      // The graph as it was opened, with the form's values (and switched modes) written in: only
      // the values change, its ids, positions, groups, links and subgraphs stay as they were.
      let kept: unknown = workflow;
      if (uiWorkflow) {
        const prompt = isUiWorkflow(workflow) ? null : parseApiWorkflow(workflow);
        kept = graphWithValues(uiWorkflow, jobs.objectInfo(profileId), prompt);
      } else if (!isUiWorkflow(workflow)) parseApiWorkflow(workflow);
      return saved.save(profileId, path, JSON.stringify(kept), base);
    },
    'saved.rename': ({ profileId, from, to }) => saved.rename(known(profileId), from, to),
    'saved.delete': ({ profileId, path }) => saved.remove(known(profileId), path),
    'saved.copy': ({ from, path, to, as }) => saved.copy(known(from), path, known(to), as),
    'saved.templates': ({ profileId }) => saved.templates(known(profileId)),
    'saved.template': async ({ profileId, pack, name }) => ({
      workflow: await saved.template(known(profileId), pack, name),
    }),
  };
}
