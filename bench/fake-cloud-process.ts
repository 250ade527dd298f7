// The fake cloud in its own process, so the benchmarks measure the client alone (time and memory).
// `startCloudProcess(args)` runs tests/fake-cloud/standalone.ts with its command-line flags;
// `startCloudProcess(options)` runs this file as the child, with any of the fake cloud's options
// (a server's model files, say, which the standalone's flags do not cover).
import { spawn, type ChildProcess } from 'node:child_process';
import { join, resolve } from 'node:path';
import { startFakeCloud, type FakeCloudOptions, type OutputRef } from '../tests/fake-cloud/index';

export interface CloudProcess {
  url: string;
  apiKey: string;
  statics: OutputRef[];
  stop(): Promise<void>;
}

/** The fake cloud's options, plus generated files /api/view serves ("200x4194304,1x1073741824"). */
export type CloudProcessOptions = FakeCloudOptions & { staticFiles?: string };

const CHILD_FLAG = '--bench-fake-cloud';

export async function startCloudProcess(args: string[] | CloudProcessOptions): Promise<CloudProcess> {
  const entry = Array.isArray(args)
    ? [join(import.meta.dirname, '../tests/fake-cloud/standalone.ts'), ...args]
    : [import.meta.filename, CHILD_FLAG, JSON.stringify(args)];
  // Our child's stdin is a pipe it watches: it ends when this process does, however it ends.
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', ...entry], {
    stdio: [Array.isArray(args) ? 'ignore' : 'pipe', 'pipe', 'inherit'],
  });
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
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** As the child: the fake cloud with the options given as JSON, printing what the parent reads. */
async function runChild(json: string): Promise<void> {
  const { staticFiles = '', ...options } = JSON.parse(json) as CloudProcessOptions;
  const cloud = await startFakeCloud(options);
  const statics = staticFiles
    .split(',')
    .filter(Boolean)
    .flatMap((spec) => {
      const [count, size] = spec.split('x').map(Number);
      return Array.from({ length: count! }, () => cloud.addStaticOutput(size!));
    });
  if (statics.length > 0) console.log(`STATIC ${JSON.stringify(statics)}`);
  console.log(`Fake ${cloud.mode} server running at ${cloud.url}`);
  if (cloud.mode === 'cloud') console.log(`API key: ${cloud.apiKey}`);
  console.log('Ctrl-C stops it.');
  const stop = (): void => void cloud.close().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  process.stdin.resume();
  process.stdin.on('end', stop);
}

if (process.argv[2] === CHILD_FLAG && resolve(process.argv[1] ?? '') === import.meta.filename) {
  await runChild(process.argv[3] ?? '{}');
}
