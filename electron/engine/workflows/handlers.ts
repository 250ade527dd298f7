// The contract's workflow and upload commands: what goes into a job.
import type { CommandHandlers } from '../../../shared/contract';
import { DeskError } from '../../../shared/errors';
import type { JobsModule } from '../jobs/module';
import { limitsFrom, type UploadService } from '../uploads';
import { isUiWorkflow, parseApiWorkflow, UI_FORMAT_HELP } from './api-format';
import { readImageMetadata } from './metadata';
import { validateWorkflow } from './validate';

type Names = 'workflows.inspect' | 'workflows.fromImage' | 'objectInfo.get' | 'uploads.image';

export function workflowHandlers(deps: {
  jobs: JobsModule;
  uploads: UploadService;
  activeProfileId: () => string;
}): Pick<CommandHandlers, Names> {
  const { jobs } = deps;
  return {
    'workflows.inspect': ({ workflow, profileId }) => {
      if (isUiWorkflow(workflow))
        return { format: 'ui', message: UI_FORMAT_HELP, problems: [], checkedAgainstServer: false };
      let parsed;
      try {
        parsed = parseApiWorkflow(workflow);
      } catch (err) {
        return { format: 'invalid', message: (err as Error).message, problems: [], checkedAgainstServer: false };
      }
      const info = jobs.objectInfo(profileId ?? deps.activeProfileId());
      return {
        format: 'api',
        problems: info ? validateWorkflow(parsed, info) : [],
        checkedAgainstServer: info !== null,
      };
    },
    'workflows.fromImage': ({ data }) => {
      const meta = readImageMetadata(Buffer.from(data, 'base64'));
      if (meta.format === 'unknown')
        throw new DeskError('invalid_input', 'This file is not a PNG, WebP, JPEG or GIF image.');
      return { prompt: meta.prompt, workflow: meta.workflow, width: meta.width, height: meta.height };
    },
    'objectInfo.get': ({ profileId }) => jobs.objectInfo(profileId ?? deps.activeProfileId()),
    'uploads.image': async ({ profileId, name, data, kind, original }) => {
      const id = profileId ?? deps.activeProfileId();
      const session = jobs.session(id);
      const features = await session.api.features().catch(() => null);
      return deps.uploads.upload(
        session.http,
        id,
        { name, bytes: Buffer.from(data, 'base64') },
        {
          kind,
          limits: limitsFrom(features),
          ...(original ? { originalRef: original } : {}),
        },
      );
    },
  };
}
