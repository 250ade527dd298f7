// The command line against a careless user and a hostile server: every local mistake is exit 2
// with a clear message before anything reaches a server or the journal; a refused key ends at
// once; an unreachable server ends after --timeout; nothing is left for a person to guess.
import { spawn } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  statSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { describe, expect } from 'vitest';
import { makePng } from '../fake-cloud/png';
import { FIXTURES } from '../unit/jobs/journal-helpers';
import { basicWorkflow, hostile, newTempDir, startCloud } from './harness';

const BIN = join(import.meta.dirname, '../../electron/cli/bin.ts');

interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

// Asynchronous on purpose: the fake cloud lives in this process and must keep answering.
function cli(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', BIN, ...args], { env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (status) => resolve({ status, stdout, stderr, ms: Date.now() - started }));
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** A data folder and a workflow file in it; `journal()` says whether the journal was ever opened. */
function workspace(workflow: unknown = basicWorkflow()) {
  const data = newTempDir();
  const file = join(data, 'workflow_api.json');
  writeFileSync(file, JSON.stringify(workflow));
  return { data, file, journal: () => existsSync(join(data, 'journal.sqlite3')) };
}

const LOAD_IMAGE = {
  '1': { class_type: 'LoadImage', inputs: { image: 'placeholder.png' } },
  '2': { class_type: 'PreviewImage', inputs: { images: ['1', 0] } },
};
const IMAGE = join(FIXTURES, 'comfyui-png', 'controlnet__input_scribble_example.png');

describe('local mistakes: exit 2, a clear message, nothing sent, nothing journaled', () => {
  // Each command names the fake cloud (where it can), so "nothing sent" is something that could fail.
  type Case = [string, (w: ReturnType<typeof workspace>, server: string) => string[], RegExp];
  const cases: Case[] = [
    ['an unknown option', (w, s) => ['run', w.file, '--server', s, '--frobnicate'], /Unknown option '--frobnicate'/],
    ['an unknown command', (w, s) => ['launch', w.file, '--server', s], /Unknown command "launch"/],
    ['--server that is not an address', (w) => ['run', w.file, '--server', 'notaurl'], /not an address/],
    ['--server that is not http', (w) => ['run', w.file, '--server', 'ftp://x.org'], /only http/],
    ['a missing workflow file', (w, s) => ['run', join(w.data, 'nope.json'), '--server', s], /no such file/],
    ['a folder as the workflow', (w, s) => ['run', w.data, '--server', s], /is not a file/],
    ['--count 0', (w, s) => ['run', w.file, '--server', s, '--count', '0'], /--count must be a whole number from 1/],
    ['--count abc', (w, s) => ['run', w.file, '--server', s, '--count', 'abc'], /--count must be/],
    ['--timeout -5', (w, s) => ['run', w.file, '--server', s, '--timeout=-5'], /--timeout/],
    [
      '--seed sometimes',
      (w, s) => ['run', w.file, '--server', s, '--seed', 'sometimes'],
      /--seed must be fixed, random/,
    ],
    ['--set naming a missing node', (w, s) => ['run', w.file, '--server', s, '--set', '99.seed=1'], /no node 99/],
    [
      '--set that is not NODE.INPUT=VALUE',
      (w, s) => ['run', w.file, '--server', s, '--set', 'seed'],
      /NODE\.INPUT=VALUE/,
    ],
    [
      'a missing --image',
      (w, s) => ['run', w.file, '--server', s, '--image', `3=${join(w.data, 'gone.png')}`],
      /no such file/,
    ],
    ['a folder as --image', (w, s) => ['run', w.file, '--server', s, '--image', `3=${w.data}`], /is not a file/],
    [
      'a --mask without its --image',
      (w, s) => ['run', w.file, '--server', s, '--mask', `3=${IMAGE}`],
      /give --image 3/,
    ],
    ['import of a missing folder', (w) => ['import', join(w.data, 'nothing-here')], /no such folder/],
    ['search with no text', () => ['search', '  '], /search needs some text/],
  ];
  for (const [name, argsOf, message] of cases) {
    hostile(
      'cli',
      name,
      async () => {
        const cloud = await startCloud();
        const w = workspace();
        const result = await cli([...argsOf(w, cloud.url), '--data', w.data], { COMFY_API_KEY: cloud.apiKey });
        expect(result.status, result.stderr).toBe(2);
        expect(result.stderr).toMatch(message);
        expect(result.stderr).not.toMatch(/at .*\.ts:\d+/); // a message, not a stack trace
        expect(cloud.requests).toHaveLength(0);
        expect(w.journal()).toBe(false);
      },
      30_000,
    );
  }

  hostile(
    'cli',
    '--count 0 is refused before an image is uploaded',
    async () => {
      const cloud = await startCloud();
      const w = workspace(LOAD_IMAGE);
      const result = await cli(
        ['run', w.file, '--server', cloud.url, '--image', `1=${IMAGE}`, '--count', '0', '--data', w.data],
        { COMFY_API_KEY: cloud.apiKey },
      );
      expect(result.status).toBe(2);
      expect(cloud.requests.filter((r) => r.url.includes('/upload/'))).toHaveLength(0);
      expect(w.journal()).toBe(false);
    },
    30_000,
  );

  hostile(
    'cli',
    'a 200 MB workflow file is refused by the same size limit as the window',
    async () => {
      const cloud = await startCloud();
      const w = workspace();
      const huge = join(w.data, 'huge.json');
      // Sparse: 200 MB in size, nothing written.
      writeFileSync(huge, '');
      truncateSync(huge, 200 * 1024 * 1024);
      const result = await cli(['run', huge, '--server', cloud.url, '--data', w.data], { COMFY_API_KEY: cloud.apiKey });
      expect(result.status).toBe(2);
      expect(result.stderr).toMatch(/200\.0 MB; a workflow can be at most 7\.6 MB/);
      expect(cloud.requests).toHaveLength(0);
      expect(w.journal()).toBe(false);
    },
    30_000,
  );

  hostile(
    'cli',
    'a PNG with a damaged chunk is refused before anything is uploaded',
    async () => {
      const cloud = await startCloud();
      const w = workspace(LOAD_IMAGE);
      const png = Buffer.from(makePng(64, 64, 1));
      // Flip a byte inside the image data: the chunk's CRC no longer matches.
      const idat = png.indexOf('IDAT');
      png.writeUInt8(png.readUInt8(idat + 8) ^ 0xff, idat + 8);
      const damaged = join(w.data, 'damaged.png');
      writeFileSync(damaged, png);
      const result = await cli(['run', w.file, '--server', cloud.url, '--image', `1=${damaged}`, '--data', w.data], {
        COMFY_API_KEY: cloud.apiKey,
      });
      expect(result.status).toBe(2);
      expect(result.stderr).toMatch(/damaged\.png.*(damaged|checksum)/);
      expect(cloud.requests).toHaveLength(0);
    },
    30_000,
  );
});

describe('a server that refuses, lies or is gone', () => {
  hostile(
    'cli',
    'a wrong key ends run --wait at once with exit 3 and the reason',
    async () => {
      const cloud = await startCloud();
      const w = workspace();
      const result = await cli(['run', w.file, '--server', cloud.url, '--kind', 'cloud', '--wait', '--data', w.data], {
        COMFY_API_KEY: 'wrong-key-000000000000',
      });
      expect(result.status).toBe(3);
      expect(result.stderr).toMatch(/refused the API key \(401\)/);
      expect(result.stderr).toMatch(/1 job\(s\) wait in the outbox/);
      expect(result.ms).toBeLessThan(60_000); // not the 120 s timeout: it did not wait for trouble to pass
      expect(cloud.acceptedCount()).toBe(0);
    },
    90_000,
  );

  hostile(
    'cli',
    'a 403 ends run --wait at once (it is not retried as if it were temporary)',
    async () => {
      const cloud = await startCloud();
      cloud.fault({ method: 'POST', path: '/prompt', status: 403, times: 100 });
      const w = workspace();
      const result = await cli(['run', w.file, '--server', cloud.url, '--wait', '--data', w.data], {
        COMFY_API_KEY: cloud.apiKey,
      });
      expect(result.status).toBe(3);
      expect(result.stderr).toMatch(/Access denied \(403\)/);
      expect(cloud.requests.filter((r) => r.method === 'POST' && r.url === '/api/prompt')).toHaveLength(1);
    },
    90_000,
  );

  hostile(
    'cli',
    'a refused port: run --wait says it waits to retry, gives up after --timeout with exit 3, the job kept',
    async () => {
      const port = await freePort();
      const w = workspace();
      const result = await cli([
        'run',
        w.file,
        '--server',
        `http://127.0.0.1:${port}`,
        '--kind',
        'local',
        '--wait',
        '--timeout',
        '3',
        '--data',
        w.data,
      ]);
      expect(result.status).toBe(3);
      expect(result.stderr).toMatch(/waiting to retry: Cannot reach 127\.0\.0\.1:\d+: nothing is listening there/);
      expect(result.stderr).toMatch(/giving up in \d+ s/);
      expect(result.stderr).toMatch(/Gave up after 3 s/);
      expect(result.stderr).toMatch(/wait in the outbox/);
      const list = await cli(['jobs', '--json', '--data', w.data]);
      expect((JSON.parse(list.stdout) as { state: string }[]).map((j) => j.state)).toEqual(['outbox']);
    },
    90_000,
  );

  hostile(
    'cli',
    'run without --wait returns only once the job is on the server',
    async () => {
      const cloud = await startCloud();
      cloud.holdQueue(true);
      const w = workspace();
      const result = await cli(['run', w.file, '--server', cloud.url, '--data', w.data], {
        COMFY_API_KEY: cloud.apiKey,
      });
      expect(result.status).toBe(0);
      expect(result.stdout).toMatch(/All 1 job\(s\) are on the server/);
      // Accepted before the command ended, not left in the outbox.
      expect(cloud.acceptedCount()).toBe(1);
    },
    60_000,
  );

  hostile(
    'cli',
    'run without --wait against a server that is down says the jobs wait in the outbox (exit 3, soon)',
    async () => {
      const port = await freePort();
      const w = workspace();
      const result = await cli([
        'run',
        w.file,
        '--server',
        `http://127.0.0.1:${port}`,
        '--kind',
        'local',
        '--timeout',
        '2',
        '--data',
        w.data,
      ]);
      expect(result.status).toBe(3);
      expect(result.stderr).toMatch(/1 job\(s\) wait in the outbox\. They are sent when Comfy Desk next connects/);
    },
    60_000,
  );

  hostile(
    'cli',
    'a 503 twice: the waits are said, then it completes',
    async () => {
      const cloud = await startCloud();
      cloud.fault({ method: 'POST', path: '/prompt', status: 503, times: 2 });
      const w = workspace();
      const result = await cli(['run', w.file, '--server', cloud.url, '--wait', '--data', w.data], {
        COMFY_API_KEY: cloud.apiKey,
      });
      expect(result.status, result.stderr).toBe(0);
      expect(result.stderr).toMatch(/waiting to retry: The server had a problem \(503\)/);
      expect(result.stderr).toMatch(/completed/);
      expect([...cloud.acceptedByClientJob().values()]).toEqual([1]);
    },
    90_000,
  );

  hostile(
    'cli',
    'a status name nobody knows is resolved from the job detail (no socket to say it)',
    async () => {
      const cloud = await startCloud();
      cloud.misbehave({ statusName: 'quantum_superposition' });
      cloud.refuseWebSockets(true);
      const w = workspace();
      const result = await cli(['run', w.file, '--server', cloud.url, '--wait', '--data', w.data], {
        COMFY_API_KEY: cloud.apiKey,
      });
      expect(result.status, result.stderr).toBe(0);
      expect(result.stderr).toMatch(/completed/);
    },
    90_000,
  );

  hostile(
    'cli',
    'outputs announced only in the job detail are fetched and copied',
    async () => {
      const cloud = await startCloud();
      cloud.misbehave({ omitExecuted: true });
      const w = workspace();
      const out = join(w.data, 'renders');
      const result = await cli(['run', w.file, '--server', cloud.url, '--out', out, '--data', w.data], {
        COMFY_API_KEY: cloud.apiKey,
      });
      expect(result.status, result.stderr).toBe(0);
      expect(result.stdout).toMatch(/Copied 1 output\(s\)/);
      const [file] = readdirSync(out);
      expect(readFileSync(join(out, file!)).subarray(1, 4).toString()).toBe('PNG');
      // Files the person takes away are readable by them as any new file (not the store's 0600).
      expect(statSync(join(out, file!)).mode & 0o777).toBe(0o666 & ~process.umask());
    },
    90_000,
  );

  hostile(
    'cli',
    'an output the server serves as a web page is named, and the exit code says it',
    async () => {
      const cloud = await startCloud();
      cloud.fault({ path: '/signed/', html: true, times: 100 });
      const w = workspace();
      const result = await cli(['run', w.file, '--server', cloud.url, '--wait', '--data', w.data], {
        COMFY_API_KEY: cloud.apiKey,
      });
      expect(result.status).toBe(1);
      expect(result.stderr).toMatch(/Output \S+\.png of job \w+ could not be stored: .*web page/);
    },
    90_000,
  );

  hostile(
    'cli',
    'a server that echoes the key in its error: the command line never prints it',
    async () => {
      const cloud = await startCloud();
      cloud.fault({ method: 'POST', path: '/prompt', status: 500, echoKey: true, times: 2 });
      const w = workspace();
      const result = await cli(['run', w.file, '--server', cloud.url, '--wait', '--data', w.data], {
        COMFY_API_KEY: cloud.apiKey,
      });
      expect(result.status, result.stderr).toBe(0);
      expect(result.stderr).toMatch(/\[redacted\]/);
      expect(result.stdout + result.stderr).not.toContain(cloud.apiKey);
      for (const f of readdirSync(w.data).filter((f) => f.startsWith('journal'))) {
        expect(readFileSync(join(w.data, f)).toString('latin1')).not.toContain(cloud.apiKey);
      }
    },
    90_000,
  );

  hostile(
    'cli',
    '--out naming a file (not a folder) is refused before anything is sent',
    async () => {
      const cloud = await startCloud();
      const w = workspace();
      const result = await cli(['run', w.file, '--server', cloud.url, '--out', w.file, '--data', w.data], {
        COMFY_API_KEY: cloud.apiKey,
      });
      expect(result.status).toBe(2);
      expect(result.stderr).toMatch(/is a file, not a folder/);
      expect(cloud.requests).toHaveLength(0);
    },
    30_000,
  );
});

describe('a careless first use', () => {
  hostile(
    'cli',
    'import --reference as the very first command on a fresh data folder: the files are added where they are',
    async () => {
      const w = workspace();
      const folder = join(w.data, 'outputs');
      mkdirSync(folder);
      copyFileSync(IMAGE, join(folder, 'scribble.png'));
      const result = await cli(['import', folder, '--reference', '--data', join(w.data, 'fresh')]);
      expect(result.status, result.stderr).toBe(0);
      expect(result.stdout).toMatch(/Added 1, skipped 0 already known, 0 unreadable\./);
    },
    30_000,
  );
});
