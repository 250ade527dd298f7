// One process at a time per partial download. The app and the command line may share a data
// folder; two of them appending to the same .part file would store bytes that are not what their
// hash says. A lock file beside the part names the process that holds it; a lock whose process
// is gone (a crash, a SIGKILL) is taken over.
import { open, readFile, rm } from 'node:fs/promises';
import { DeskError } from '../../../shared/errors';

export function lockPathOf(part: string): string {
  return `${part}.lock`;
}

/** Takes the lock of `part`, or throws DeskError('conflict') when a live process holds it. Returns the release. */
export async function lockPart(part: string): Promise<() => Promise<void>> {
  const lock = lockPathOf(part);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(lock, 'wx', 0o600);
      await handle.writeFile(String(process.pid));
      await handle.close();
      return () => rm(lock, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = Number((await readFile(lock, 'utf8').catch(() => '')).trim());
      if (holder !== process.pid && isAlive(holder)) {
        throw new DeskError('conflict', 'Another Comfy Desk process is downloading this file.');
      }
      await rm(lock, { force: true }); // left by a process that is gone (or by us before a crash)
    }
  }
  throw new DeskError('conflict', 'The download lock could not be taken.');
}

/** Whether the lock file at `lock` belongs to a live process other than this one. */
export async function heldByOther(lock: string): Promise<boolean> {
  const holder = Number((await readFile(lock, 'utf8').catch(() => '')).trim());
  return holder !== process.pid && isAlive(holder);
}

/** Whether a process with this id runs on this machine (signal 0 checks without sending). */
export function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
