// What the window and the command line are told of a workflow before it runs: its format, the
// prompt a UI-format workflow converts to (with the form's layout), and what the server would refuse.
import type { WorkflowReport } from '../../../shared/contract';
import { DeskError } from '../../../shared/errors';
import { isUiWorkflow, parseApiWorkflow, type ApiWorkflow } from './api-format';
import { convertUiWorkflow } from './ui';
import { validateWorkflow, type ObjectInfo, type ValidateOptions } from './validate';

/** Why a UI-format workflow waits: it is converted with the server's node list, not known yet. */
export function noNodeListMessage(serverName: string): string {
  return (
    `This workflow was saved from ComfyUI's editor. Comfy Desk turns it into what the server runs with ` +
    `${serverName}'s list of nodes, which it reads the first time it reaches the server. Connect to it once, ` +
    'then open this again.'
  );
}

export function inspectWorkflow(
  workflow: unknown,
  objectInfo: ObjectInfo | null,
  options: ValidateOptions & { serverName: string },
): WorkflowReport {
  const check = (prompt: ApiWorkflow) => (objectInfo ? validateWorkflow(prompt, objectInfo, options) : []);
  if (isUiWorkflow(workflow)) {
    if (!objectInfo)
      return {
        format: 'ui',
        message: noNodeListMessage(options.serverName),
        problems: [],
        checkedAgainstServer: false,
      };
    try {
      const { prompt, layout } = convertUiWorkflow(workflow, objectInfo);
      return { format: 'ui', prompt, layout, problems: check(prompt), checkedAgainstServer: true };
    } catch (err) {
      if (!(err instanceof DeskError)) throw err;
      return { format: 'ui', message: err.message, problems: [], checkedAgainstServer: true };
    }
  }
  let parsed: ApiWorkflow;
  try {
    parsed = parseApiWorkflow(workflow);
  } catch (err) {
    return { format: 'invalid', message: (err as Error).message, problems: [], checkedAgainstServer: false };
  }
  return { format: 'api', problems: check(parsed), checkedAgainstServer: objectInfo !== null };
}
