// The contract's library and drafts commands: workflows kept by name, and the open ones (tabs).
import type { EngineParts } from '../parts';
import type { ObjectInfo } from '../workflows/validate';
import { isUiWorkflow, parseApiWorkflow } from '../workflows/api-format';
import { graphWithValues } from '../workflows/graph-values';
import type { HandlersOf } from './types';

export function libraryCommands(
  { library, drafts }: Pick<EngineParts, 'library' | 'drafts'>,
  objectInfo: (profileId: string) => ObjectInfo | null,
  activeProfileId: () => string,
): HandlersOf<'library' | 'drafts'> {
  return {
    'drafts.list': () => drafts.list(),
    'drafts.save': (input) => drafts.save(input),
    'drafts.remove': ({ id }) => drafts.remove(id),
    'library.list': () => library.list(),
    'library.get': ({ id }) => library.get(id),
    'library.save': ({ id, name, workflow, uiWorkflow }) => {
      // The form's values written into the graph they came from, so it reopens as it was saved.
      const kept = uiWorkflow
        ? graphWithValues(uiWorkflow, objectInfo(activeProfileId()), parseApiWorkflow(workflow))!
        : workflow;
      // A UI-format workflow is kept as the graph (converted when it is opened, for that server).
      if (!isUiWorkflow(kept)) parseApiWorkflow(kept);
      return library.save({ ...(id ? { id } : {}), name, workflow: kept });
    },
    'library.rename': ({ id, name }) => library.rename(id, name),
    'library.duplicate': ({ id }) => library.duplicate(id),
    'library.delete': ({ id }) => library.remove(id),
  };
}
