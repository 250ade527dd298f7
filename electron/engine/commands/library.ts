// The contract's library and drafts commands: workflows kept by name, and the open ones (tabs).
import { DeskError } from '../../../shared/errors';
import type { JobsModule } from '../jobs/module';
import { isUiWorkflow, parseApiWorkflow, UI_FORMAT_HELP } from '../workflows/api-format';
import type { HandlersOf } from './types';

export function libraryCommands(jobs: JobsModule): HandlersOf<'library' | 'drafts'> {
  return {
    'drafts.list': () => jobs.drafts.list(),
    'drafts.save': (input) => jobs.drafts.save(input),
    'drafts.remove': ({ id }) => jobs.drafts.remove(id),
    'library.list': () => jobs.library.list(),
    'library.get': ({ id }) => jobs.library.get(id),
    'library.save': ({ id, name, workflow }) => {
      if (isUiWorkflow(workflow)) throw new DeskError('invalid_input', UI_FORMAT_HELP);
      parseApiWorkflow(workflow);
      return jobs.library.save({ ...(id ? { id } : {}), name, workflow });
    },
    'library.rename': ({ id, name }) => jobs.library.rename(id, name),
    'library.duplicate': ({ id }) => jobs.library.duplicate(id),
    'library.delete': ({ id }) => jobs.library.remove(id),
  };
}
