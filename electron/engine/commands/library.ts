// The contract's library and drafts commands: workflows kept by name, and the open ones (tabs).
import type { JobsModule } from '../jobs/module';
import { isUiWorkflow, parseApiWorkflow } from '../workflows/api-format';
import { graphWithValues } from '../workflows/graph-values';
import type { HandlersOf } from './types';

export function libraryCommands(jobs: JobsModule, activeProfileId: () => string): HandlersOf<'library' | 'drafts'> {
  return {
    'drafts.list': () => jobs.drafts.list(),
    'drafts.save': (input) => jobs.drafts.save(input),
    'drafts.remove': ({ id }) => jobs.drafts.remove(id),
    'library.list': () => jobs.library.list(),
    'library.get': ({ id }) => jobs.library.get(id),
    'library.save': ({ id, name, workflow, uiWorkflow }) => {
      // The form's values written into the graph they came from, so it reopens as it was saved.
      const kept = uiWorkflow
        ? graphWithValues(uiWorkflow, jobs.objectInfo(activeProfileId()), parseApiWorkflow(workflow))!
        : workflow;
      // A UI-format workflow is kept as the graph (converted when it is opened, for that server).
      if (!isUiWorkflow(kept)) parseApiWorkflow(kept);
      return jobs.library.save({ ...(id ? { id } : {}), name, workflow: kept });
    },
    'library.rename': ({ id, name }) => jobs.library.rename(id, name),
    'library.duplicate': ({ id }) => jobs.library.duplicate(id),
    'library.delete': ({ id }) => jobs.library.remove(id),
  };
}
