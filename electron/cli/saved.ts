// `comfy-desk workflows …`: the workflows saved on a server (ComfyUI's workflows/ user data, the same
// on Comfy Cloud), through the engine's commands: listed, fetched to a file, put from a file.
import { writeFile } from 'node:fs/promises';
import type { Engine } from '../engine/engine';
import { EXIT, readWorkflowFile, UsageError, type WorkflowsArgs } from './args';

export async function workflowsCommand(
  engine: Engine,
  what: WorkflowsArgs,
  profileId: string,
  out: NodeJS.WritableStream,
  err: NodeJS.WritableStream,
  options: { json: boolean; out?: string },
): Promise<number> {
  const server = engine.jobs.profileName(profileId);
  switch (what.action) {
    case 'list': {
      const list = await engine.invoke('saved.list', { profileId });
      if (list.error) {
        err.write(`${list.error}\n`);
        if (list.listedAt === null && list.entries.length === 0) return EXIT.server;
        if (list.listedAt !== null)
          err.write(`Showing the list kept from ${new Date(list.listedAt).toLocaleString()}.\n`);
      }
      if (list.skipped) err.write(`${list.skipped}\n`);
      if (options.json) {
        out.write(`${JSON.stringify(list.entries, null, 2)}\n`);
        return EXIT.ok;
      }
      if (list.entries.length === 0) out.write(`No saved workflows on ${server}.\n`);
      for (const e of list.entries) {
        const when = new Date(e.modified).toISOString().replace('T', ' ').slice(0, 16);
        const flags = e.pending ? '  (saved here, not yet on the server)' : '';
        out.write(`${e.path.padEnd(40)} ${String(e.size).padStart(9)} B  ${when}${flags}\n`);
      }
      return EXIT.ok;
    }
    case 'get': {
      const file = await engine.invoke('saved.open', { profileId, path: what.path });
      if (file.offline) err.write(`${server} cannot be reached: this is the copy kept here.\n`);
      const text = JSON.stringify(file.workflow);
      if (options.out === undefined) {
        out.write(`${text}\n`);
        return EXIT.ok;
      }
      await writeFile(options.out, text).catch((e: Error) => {
        throw new UsageError(`--out ${options.out}: ${e.message}`);
      });
      out.write(`Wrote ${options.out}: “${what.path}” from ${server}.\n`);
      return EXIT.ok;
    }
    case 'put': {
      const workflow = (await readWorkflowFile(what.file)) as Record<string, unknown>;
      const list = await engine.invoke('saved.list', { profileId });
      if (list.error) throw new UsageError(list.error);
      // Putting a file over one of the same name replaces it, as the person asked: the version there now is the base.
      const existing = list.entries.find((e) => e.path === what.path && !e.pending);
      const result = await engine.invoke('saved.save', {
        profileId,
        path: what.path,
        base: existing?.modified ?? null,
        workflow,
      });
      if (!result.saved) {
        err.write(`${result.message}\n`);
        return EXIT.server;
      }
      out.write(`${existing && !result.conflictPath ? result.message.replace('Saved', 'Replaced') : result.message}\n`);
      return EXIT.ok;
    }
  }
}
