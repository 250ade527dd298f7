// The fake cloud in its own process, so the benchmarks measure the client alone (time and memory).
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { OutputRef } from '../tests/fake-cloud/index';

export interface CloudProcess {
  url: string;
  apiKey: string;
  statics: OutputRef[];
  stop(): Promise<void>;
}

export async function startCloudProcess(args: string[]): Promise<CloudProcess> {
  const child: ChildProcess = spawn(
    process.execPath,
    ['--import', 'tsx', join(import.meta.dirname, '../tests/fake-cloud/standalone.ts'), ...args],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let out = '';
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('Ctrl-C')) resolve(); // the last line: everything before it is in
    });
    child.once('exit', (code) => reject(new Error(`fake cloud exited (${code}): ${out}`)));
  });
  const url = /running at (\S+)/.exec(out)![1]!;
  const apiKey = /API key: (\S+)/.exec(out)?.[1] ?? '';
  const statics = JSON.parse(/STATIC (.+)/.exec(out)?.[1] ?? '[]') as OutputRef[];
  return {
    url,
    apiKey,
    statics,
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
