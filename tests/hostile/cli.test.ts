// The command line against a careless user and a hostile server: every local mistake is exit 2
// with a clear message before anything reaches a server or the journal; a refused key ends at
// once; an unreachable server ends after --timeout; nothing is left for a person to guess.
import { spawn } from 'node:child_process';
import Database from 'better-sqlite3';
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
  /** When (ms after the start) the first line of stderr matching `pattern` arrived, or null. */
  saidAt(pattern: RegExp): { ms: number; match: RegExpExecArray } | null;
}

// Asynchronous on purpose: the fake cloud lives in this process and must keep answering.
// `killAfterMs`: a command that would wait on and on is stopped (status null), so its case fails
// on what it asserts rather than on the test's own timeout.
function cli(args: string[], env: Record<string, string> = {}, killAfterMs?: number): Promise<CliResult> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', BIN, ...args], { env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    let partial = '';
    const lines: { ms: number; text: string }[] = [];
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      const parts = (partial + d.toString()).split('\n');
      partial = parts.pop()!;
      for (const text of parts) lines.push({ ms: Date.now() - started, text });
    });
    const killer = killAfterMs ? setTimeout(() => child.kill('SIGKILL'), killAfterMs) : null;
    child.on('exit', (status) => {
      if (killer) clearTimeout(killer);
      resolve({
        status,
        stdout,
        stderr,
        ms: Date.now() - started,
        saidAt(pattern) {
          for (const line of lines) {
            const match = pattern.exec(line.text);
            if (match) return { ms: line.ms, match };
          }
          return null;
        },
      });
    });
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
    [
      'an unknown option',
      (w, s) => ['run', w.file, '--server', s, '--frobnicate'],
      /^Unknown option '--frobnicate'\.\n/m,
    ],
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
    // Sweeps: the form, the node and its input, the values, how many.
    [
      '--sweep that is not NODE.INPUT=VALUES',
      (w, s) => ['run', w.file, '--server', s, '--sweep', 'foo'],
      /--sweep foo: expected NODE\.INPUT=VALUES/,
    ],
    [
      '--sweep naming a missing node',
      (w, s) => ['run', w.file, '--server', s, '--sweep', '99.cfg=4,6'],
      /--sweep 99\.cfg=4,6: the workflow has no node 99/,
    ],
    [
      '--sweep naming an input the node lacks',
      (w, s) => ['run', w.file, '--server', s, '--sweep', '3.cgf=4,6'],
      /node 3 \(KSampler\) has no input "cgf"; it has cfg, /,
    ],
    [
      '--sweep of words for a number',
      (w, s) => ['run', w.file, '--server', s, '--sweep', '3.cfg=high,low'],
      /--sweep 3\.cfg=high,low: "high" is not a number; node 3 \(KSampler\) takes a number for cfg/,
    ],
    [
      '--sweep of a range with a step of 0',
      (w, s) => ['run', w.file, '--server', s, '--sweep', '3.cfg=1..4:0'],
      /step of a range must be more than 0/,
    ],
    [
      '--sweep of an input wired to another node',
      (w, s) => ['run', w.file, '--server', s, '--sweep', '3.model=1,2'],
      /input "model" of node 3 \(KSampler\) is connected to node 4/,
    ],
    [
      'a third --sweep',
      (w, s) => [
        'run',
        w.file,
        '--server',
        s,
        ...['3.cfg=4,6', '3.seed=1..2', '3.steps=10,20'].flatMap((x) => ['--sweep', x]),
      ],
      /--sweep: at most 2 \(the rows and the columns of the grid\); 3 were given/,
    ],
    [
      '--sweep times --count over 1000 runs',
      (w, s) => ['run', w.file, '--server', s, '--sweep', '3.seed=1..500', '--count', '3'],
      /--sweep: 500 values × --count 3 makes 1500 runs; at most 1000/,
    ],
    [
      'two --sweep over 1000 runs',
      (w, s) => ['run', w.file, '--server', s, '--sweep', '3.seed=1..100', '--sweep', '3.cfg=1..11'],
      /100 × 11 values makes 1100 runs; at most 1000/,
    ],
    [
      '--sweep and --set of the same input',
      (w, s) => ['run', w.file, '--server', s, '--set', '3.cfg=5', '--sweep', '3.cfg=4,6'],
      /--sweep 3\.cfg and --set 3\.cfg both give it values/,
    ],
    [
      '--sweep of the seed with --seed random',
      (w, s) => ['run', w.file, '--server', s, '--sweep', '3.seed=1..3', '--seed', 'random'],
      /random seeds would replace the swept ones/,
    ],
    ['--grid without --sweep', (w, s) => ['run', w.file, '--server', s, '--grid', 'g.png'], /--grid needs --sweep/],
    [
      '--grid in a folder that does not exist',
      (w, s) => ['run', w.file, '--server', s, '--sweep', '3.cfg=4,6', '--grid', join(w.data, 'no', 'g.png')],
      /--grid .*: the folder .* does not exist/,
    ],
    [
      '--sweep on a command other than run',
      () => ['jobs', '--sweep', '3.cfg=4,6'],
      /--sweep goes with `run`, not `jobs`/,
    ],
    // Servers: --servers as --server, several.
    [
      '--servers with an empty entry',
      (w, s) => ['run', w.file, '--servers', `${s},,${s}`],
      /--servers .*: an empty entry/,
    ],
    [
      '--servers with an address that is not http',
      (w, s) => ['run', w.file, '--servers', `${s},ftp://x.org`],
      /--servers ftp:\/\/x\.org: only http/,
    ],
    [
      '--servers naming a profile in a data folder that has none yet',
      (w, s) => ['run', w.file, '--servers', `${s},studio`],
      /--servers studio: not an address, and there is no server profile of that name/,
    ],
    [
      '--server and --servers together',
      (w, s) => ['run', w.file, '--server', s, '--servers', `${s},${s}/x`],
      /Give --server \(one\) or --servers \(several\), not both/,
    ],
    ['an empty --batch-name', (w, s) => ['run', w.file, '--server', s, '--batch-name=  '], /--batch-name must be/],
    // The queue's commands.
    ['an unknown queue command', () => ['queue', 'shuffle'], /Unknown queue command "shuffle": give list, pause/],
    ['queue move without jobs', () => ['queue', 'move', '--front'], /queue move needs the jobs to move/],
    [
      'queue move to two places',
      () => ['queue', 'move', 'abcd1234', '--front', '--back'],
      /exactly one of --front, --back, --before ID, --after ID \(got --front and --back\)/,
    ],
    ['queue move to no place', () => ['queue', 'move', 'abcd1234'], /queue move needs exactly one of --front/],
    [
      'queue move of a malformed id',
      () => ['queue', 'move', 'no such!', '--back'],
      /queue move: "no such!" is not a job id/,
    ],
    ['queue move next to itself', () => ['queue', 'move', 'abcd', '--after', 'abcd'], /cannot move next to itself/],
    ['queue window without --server', () => ['queue', 'window', '3'], /queue window needs --server/],
    [
      'queue window 0',
      (w, s) => ['queue', 'window', '--server', s, '0'],
      /queue window N must be a whole number from 1 to 64/,
    ],
    ['queue window of words', (w, s) => ['queue', 'window', '--server', s, 'lots'], /queue window N must be a whole/],
    ['queue window with two numbers', (w, s) => ['queue', 'window', '--server', s, '2', '3'], /needs one number/],
    ['queue pause with a word too many', () => ['queue', 'pause', 'now'], /queue pause takes no more words/],
    [
      '--front outside queue move',
      () => ['queue', 'pause', '--front'],
      /--front goes with `queue move`, not `queue pause`/,
    ],
    [
      'queue pause --server naming a profile in a fresh data folder',
      () => ['queue', 'pause', '--server', 'studio'],
      /--server studio: not an address/,
    ],
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

describe('the queue from the command line: a mistake that needs the journal to see changes nothing', () => {
  /** Jobs with their order, servers and batch; batches; profiles with their pause and window; the pause. */
  function queueDump(data: string): string {
    const db = new Database(join(data, 'journal.sqlite3'));
    try {
      return JSON.stringify({
        jobs: db
          .prepare(
            'SELECT id, state, profile_id, queue_rank, route_json, batch_id, submit_attempts FROM jobs ORDER BY id',
          )
          .all(),
        events: db.prepare('SELECT count(*) AS n FROM job_events').get(),
        batches: db.prepare('SELECT id, name, paused FROM batches ORDER BY id').all(),
        profiles: db.prepare('SELECT id, name, url, kind, paused, queue_window FROM profiles ORDER BY id').all(),
        paused: db.prepare("SELECT value_json FROM settings WHERE key = 'queue.paused'").get(),
      });
    } finally {
      db.close();
    }
  }

  type Case = [string, (ctx: { file: string; url: string; held: string[] }) => string[], RegExp];
  const cases: Case[] = [
    [
      'queue move of a job nobody has',
      () => ['queue', 'move', '0f0f0f0f-0000-4000-8000-000000000000', '--front'],
      /queue move 0f0f0f0f-.*: no job held in the queue has that id/,
    ],
    [
      'queue move next to a job nobody has',
      ({ held }) => ['queue', 'move', held[0]!, '--before', 'ffffffff'],
      /--before ffffffff: no job held in the queue has that id/,
    ],
    [
      'queue move of an id start too short, or shared by two held jobs',
      ({ held }) => ['queue', 'move', commonPrefix(held), '--front'],
      /held jobs start with that; give more of the id|no job held/,
    ],
    [
      'queue pause --server of an address no profile has',
      () => ['queue', 'pause', '--server', 'http://127.0.0.1:9'],
      /--server http:\/\/127\.0\.0\.1:9: no server profile has this address/,
    ],
    [
      'queue window --server naming no profile',
      () => ['queue', 'window', '--server', 'studio', '3'],
      /--server studio: not an address, and no server profile has that name\. Profiles: /,
    ],
    [
      'queue resume --server naming no profile (nothing resumed, nothing sent)',
      () => ['queue', 'resume', '--server', 'studio'],
      /--server studio: not an address, and no server profile has that name/,
    ],
    [
      'run --servers with one name no profile has: no profile made, nothing queued',
      ({ file, url }) => ['run', file, '--servers', `http://127.0.0.1:9,${url},studio`],
      /--servers studio: not an address, and no server profile has that name/,
    ],
  ];
  for (const [name, argsOf, message] of cases) {
    hostile(
      'cli',
      name,
      async () => {
        const cloud = await startCloud();
        const w = workspace();
        const env = { COMFY_API_KEY: cloud.apiKey };
        // A paused queue with three held jobs, made by the command line itself.
        expect((await cli(['queue', 'pause', '--data', w.data])).status).toBe(0);
        const run = await cli(['run', w.file, '--server', cloud.url, '--count', '3', '--data', w.data], env);
        expect(run.status, run.stderr).toBe(0);
        const held = (/Submitted 3 job\(s\): (.*)/.exec(run.stdout)?.[1] ?? '').split(', ');
        expect(held).toHaveLength(3);
        const before = queueDump(w.data);
        const requests = cloud.requests.length;
        const result = await cli([...argsOf({ file: w.file, url: cloud.url, held }), '--data', w.data], env);
        expect(result.status, result.stderr).toBe(2);
        expect(result.stderr).toMatch(message);
        expect(result.stderr).not.toMatch(/at .*\.ts:\d+/);
        expect(queueDump(w.data)).toBe(before);
        expect(cloud.requests.length).toBe(requests);
      },
      60_000,
    );
  }
});

/** The longest start the first two ids share (at least one character): ambiguous, or matching nothing. */
function commonPrefix(ids: string[]): string {
  const [a, b] = [ids[0]!, ids[1]!];
  let n = 0;
  while (n < a.length && a[n] === b[n]) n += 1;
  return n > 0 ? a.slice(0, n) : a.slice(0, 1);
}

describe('every wait says why, and ends', () => {
  /** Time for a child process to start and to close its engine, beyond the bound it printed. */
  const SLACK_MS = 2500;

  type SendFault = [string, Omit<Parameters<Awaited<ReturnType<typeof startCloud>>['fault']>[0], 'path'>, RegExp];
  const sendFaults: SendFault[] = [
    ['500', { status: 500 }, /The server had a problem \(500\)/],
    ['502 with an HTML page', { status: 502, html: true }, /The server had a problem \(502\)/],
    ['503 with an HTML page', { status: 503, html: true }, /The server had a problem \(503\)/],
    ['429', { status: 429 }, /turning requests away \(429\)/],
    ['a reset connection', { dropConnection: true }, /Cannot reach|connection|closed|reset/i],
  ];
  for (const [name, rule, reason] of sendFaults) {
    hostile(
      'cli',
      `/prompt answering ${name} every time: --timeout counts across the failed sends, exit 3 with the last reason`,
      async () => {
        const cloud = await startCloud();
        cloud.fault({ method: 'POST', path: '/prompt', times: 1000, ...rule });
        const w = workspace();
        const result = await cli(
          ['run', w.file, '--server', cloud.url, '--wait', '--timeout', '4', '--data', w.data],
          { COMFY_API_KEY: cloud.apiKey },
          30_000,
        );
        expect(result.status, result.stderr).toBe(3);
        const first = result.saidAt(/waiting to retry: .*giving up in (\d+) s/);
        expect(first, result.stderr).not.toBeNull();
        // Ended within the bound it printed first, though the sends went on failing meanwhile.
        expect(result.ms - first!.ms).toBeLessThan(Number(first!.match[1]) * 1000 + SLACK_MS);
        expect(result.stderr).toMatch(new RegExp(`Gave up after 4 s: .*${reason.source}`, reason.flags));
        expect(result.stderr).toMatch(/1 job\(s\) wait in the outbox/);
        // A new attempt never starts the count again: each countdown is lower than the one before.
        const counts = [...result.stderr.matchAll(/giving up in (\d+) s/g)].map((m) => Number(m[1]));
        for (let i = 1; i < counts.length; i++) expect(counts[i]).toBeLessThanOrEqual(counts[i - 1]!);
        expect(cloud.requests.filter((r) => r.method === 'POST' && r.url === '/api/prompt').length).toBeGreaterThan(1);
      },
      60_000,
    );
  }

  /** Short download limits for the test (the production bound is 90 s for an output under 1 MiB). */
  const LIMITS = JSON.stringify({ budgetMs: 6000, openTimeoutMs: 1500, stallWindowMs: 1500, deadlineBaseMs: 4000 });
  type StorageFault = [string, Omit<Parameters<Awaited<ReturnType<typeof startCloud>>['fault']>[0], 'path'>, RegExp];
  const storageFaults: StorageFault[] = [
    ['trickles a byte every 200 ms', { trickleMs: 200 }, /stalled/],
    ['sends a body that never ends', { endless: true }, /took longer than/],
    ['never answers with headers', { noHeaders: true }, /did not answer/],
  ];
  for (const [name, rule, reason] of storageFaults) {
    hostile(
      'cli',
      `storage that ${name}: the download is said with its bound, each retry, exit 1 naming the file, retried by sync`,
      async () => {
        const cloud = await startCloud();
        cloud.fault({ path: '/signed/', times: 1000, ...rule });
        const w = workspace();
        const out = join(w.data, 'renders');
        const env = { COMFY_API_KEY: cloud.apiKey, COMFY_DESK_DOWNLOAD_LIMITS: LIMITS };
        const result = await cli(
          ['run', w.file, '--server', cloud.url, '--wait', '--out', out, '--data', w.data],
          env,
          60_000,
        );
        expect(result.status, result.stderr).toBe(1);
        const said = result.saidAt(/downloading (\S+\.png): .*gives up in (\d+) s at the latest/);
        expect(said, result.stderr).not.toBeNull();
        expect(result.ms - said!.ms).toBeLessThan(Number(said!.match[2]) * 1000 + SLACK_MS);
        expect(result.stderr).toMatch(/all attempts together end within 6 s/);
        expect(result.stderr).toMatch(new RegExp(`downloading \\S+\\.png: .*${reason.source}.*; trying again in`));
        // Named, with the last reason and how long and how often it was tried.
        expect(result.stderr).toMatch(
          new RegExp(
            `Output ${said!.match[1]!.replace(/[.]/g, '\\.')} of job \\w+ could not be stored: .*\\(gave up after \\d+ attempts in [1-6] s\\)`,
          ),
        );
        expect(result.stderr).toMatch(/comfy-desk sync/);
        // The job stays completed; its output failed, and is fetched again once storage behaves.
        const db = new Database(join(w.data, 'journal.sqlite3'), { readonly: true });
        try {
          expect(db.prepare('SELECT state FROM jobs').all()).toEqual([{ state: 'completed' }]);
          expect(db.prepare('SELECT state FROM outputs').all()).toEqual([{ state: 'failed' }]);
        } finally {
          db.close();
        }
        cloud.clearFaults();
        const sync = await cli(['sync', '--server', cloud.url, '--data', w.data], env, 60_000);
        expect(sync.status, sync.stderr).toBe(0);
        const after = new Database(join(w.data, 'journal.sqlite3'), { readonly: true });
        try {
          expect(after.prepare('SELECT state FROM outputs').all()).toEqual([{ state: 'stored' }]);
        } finally {
          after.close();
        }
      },
      120_000,
    );
  }

  hostile(
    'cli',
    'a job whose status cannot be read (socket quiet, every route a 500 page): said, exit 3 after --timeout, left on the server',
    async () => {
      const cloud = await startCloud();
      cloud.holdQueue(true); // on the server, waiting its turn: the socket has nothing to say
      for (const path of [/^\/api\/job\/[^/]+\/status/, /^\/api\/jobs\//, /^\/api\/history/, /^\/api\/queue/])
        cloud.fault({ method: 'GET', path, status: 500, html: true, times: 1000 });
      const w = workspace();
      const result = await cli(
        ['run', w.file, '--server', cloud.url, '--wait', '--timeout', '5', '--data', w.data],
        { COMFY_API_KEY: cloud.apiKey },
        40_000,
      );
      expect(result.status, result.stderr).toBe(3);
      const said = result.saidAt(/its status cannot be read: .*giving up in (\d+) s/);
      expect(said, result.stderr).not.toBeNull();
      expect(result.ms - said!.ms).toBeLessThan(Number(said!.match[1]) * 1000 + SLACK_MS);
      expect(result.stderr).toMatch(/Gave up after 5 s: .*status cannot be read: .*\(500\)/);
      expect(result.stderr).toMatch(/1 job\(s\) left on the server: the app .*follows/);
      const list = await cli(['jobs', '--json', '--data', w.data]);
      expect((JSON.parse(list.stdout) as { state: string }[]).map((j) => j.state)).toEqual(['pending']);
    },
    60_000,
  );
});

describe('help, and where the outputs are', () => {
  for (const words of [['--help'], ['-h'], ['help']]) {
    hostile('cli', `comfy-desk ${words.join(' ')}: the usage, exit 0`, async () => {
      const w = workspace();
      const result = await cli([...words], { COMFY_DESK_DATA: w.data });
      expect(result.status, result.stderr).toBe(0);
      expect(result.stdout).toMatch(/^Usage:/);
      expect(result.stdout).toMatch(/comfy-desk queue window/);
      expect(result.stderr).toBe('');
      expect(w.journal()).toBe(false);
    });
  }

  for (const words of [
    ['run', '--help'],
    ['run', '-h'],
    ['help', 'run'],
  ]) {
    hostile('cli', `comfy-desk ${words.join(' ')}: the run usage, exit 0`, async () => {
      const w = workspace();
      const result = await cli([...words], { COMFY_DESK_DATA: w.data });
      expect(result.status, result.stderr).toBe(0);
      expect(result.stdout).toMatch(/^Usage: comfy-desk run <workflow_api\.json>/);
      expect(result.stdout).toMatch(/--timeout SECONDS/);
      expect(result.stdout).not.toMatch(/queue window/);
      expect(w.journal()).toBe(false);
    });
  }

  hostile(
    'cli',
    'run --wait says where each stored file is (and --out prints the copies)',
    async () => {
      const cloud = await startCloud();
      const w = workspace();
      const out = join(w.data, 'renders');
      const result = await cli(['run', w.file, '--server', cloud.url, '--wait', '--out', out, '--data', w.data], {
        COMFY_API_KEY: cloud.apiKey,
      });
      expect(result.status, result.stderr).toBe(0);
      const stored = /Stored 1 output\(s\):\n {2}(\S+\.png): (\S+)\n/.exec(result.stdout);
      expect(stored, result.stdout).not.toBeNull();
      expect(stored![2]!.startsWith(w.data)).toBe(true);
      expect(readFileSync(stored![2]!).subarray(1, 4).toString()).toBe('PNG');
      expect(result.stdout).toMatch(new RegExp(`Copied 1 output\\(s\\) to ${out}\\n {2}${out}/`));
    },
    60_000,
  );

  hostile(
    'cli',
    '--out takes what a run saved: its PreviewImage is listed as a preview, left out of the copies, and said so',
    async () => {
      const cloud = await startCloud();
      const workflow = {
        '1': { class_type: 'EmptyImage', inputs: { width: 64, height: 64, batch_size: 1, color: 255 } },
        '2': { class_type: 'PreviewImage', inputs: { images: ['1', 0] } },
        '3': { class_type: 'SaveImage', inputs: { images: ['1', 0], filename_prefix: 'kept' } },
      };
      const w = workspace(workflow);
      const out = join(w.data, 'renders');
      const result = await cli(['run', w.file, '--server', cloud.url, '--out', out, '--data', w.data], {
        COMFY_API_KEY: cloud.apiKey,
      });
      expect(result.status, result.stderr).toBe(0);
      expect(result.stdout).toMatch(/Stored 2 output\(s\):\n/);
      expect(result.stdout).toMatch(/ \(preview\): /);
      expect(result.stdout).toMatch(
        new RegExp(`Copied 1 output\\(s\\) to ${out} \\(1 temporary preview left out\\)\n`),
      );
      const files = readdirSync(out);
      expect(files).toHaveLength(1);
      expect(files[0]).toMatch(/^kept/);
    },
    60_000,
  );
});
