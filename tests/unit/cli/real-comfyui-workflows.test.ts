// The `workflows` commands and `run server:NAME` against a real ComfyUI 0.8.0 (the Python server,
// unmodified: ../shared/comfyui/start.sh). Needs COMFYUI_GIT_DIR (a git dir holding ComfyUI 0.8.0);
// without it, or where the server cannot start, the test is skipped with the reason printed.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useTempDirs } from '../engine/tmp';
import { FIXTURES } from '../jobs/journal-helpers';

const START = join(import.meta.dirname, '../../../../shared/comfyui/start.sh');
const gitDir = process.env.COMFYUI_GIT_DIR;
const tempDir = useTempDirs();

let url: string | null = null;
let skipReason: string | null = gitDir ? null : 'COMFYUI_GIT_DIR is not set (no real ComfyUI to test against)';
let work = '';

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

beforeAll(async () => {
  if (skipReason) return;
  if (!existsSync(START)) {
    skipReason = `${START} is missing`;
    return;
  }
  work = join(process.env.COMFYUI_WORK_DIR ?? '/tmp', `comfy-desk-real-${process.pid}`);
  const port = await freePort();
  const started = spawnSync('bash', [START, gitDir!, work, String(port)], { encoding: 'utf8', timeout: 600_000 });
  if (started.status !== 0)
    skipReason = `the real ComfyUI did not start: ${started.stderr.trim().split('\n').slice(-3).join(' ')}`;
  else url = started.stdout.trim().split('\n').pop()!;
}, 620_000);

afterAll(() => {
  const pidFile = join(work, 'comfyui.pid');
  if (work && existsSync(pidFile)) spawnSync('kill', [readFileSync(pidFile, 'utf8').trim()]);
});

function cli(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(import.meta.dirname, '../../../electron/cli/bin.ts'), ...args],
      {
        env: { ...process.env, COMFY_API_KEY: '' },
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (status) => resolve({ status, stdout, stderr }));
  });
}

describe('saved workflows on a real ComfyUI', () => {
  it('put, list and get round-trip a UI workflow’s graph, and run server:NAME completes', async (ctx) => {
    if (skipReason) {
      console.warn(`SKIPPED real ComfyUI test: ${skipReason}`);
      ctx.skip();
      return;
    }
    const data = tempDir();
    const source = join(FIXTURES, 'ui-to-api-subgraphs', 'peer_empty_blur_scale_save_subgraph.workflow.json');
    const graph = JSON.parse(readFileSync(source, 'utf8')) as unknown;
    const file = join(tempDir(), 'blur.json');
    writeFileSync(file, JSON.stringify(graph, null, 2));

    const put = await cli([
      'workflows',
      'put',
      file,
      '--as',
      'desk test/Flou ü.json',
      '--server',
      url!,
      '--data',
      data,
    ]);
    expect(put.stderr).toBe('');
    expect(put.status).toBe(0);
    expect(put.stdout).toMatch(/Saved “desk test\/Flou ü.json”/);
    // On the server's disk, where the web UI reads it: the same graph.
    const onDisk = join(work, 'data', 'user', 'default', 'workflows', 'desk test', 'Flou ü.json');
    expect(JSON.parse(readFileSync(onDisk, 'utf8'))).toEqual(graph);

    const list = await cli(['workflows', 'list', '--server', url!, '--json', '--data', data]);
    expect(list.status).toBe(0);
    const entries = JSON.parse(list.stdout) as { path: string; folder: string; size: number }[];
    const entry = entries.find((e) => e.path === 'desk test/Flou ü.json');
    expect(entry).toMatchObject({ folder: 'desk test', size: readFileSync(onDisk).length });

    const out = join(tempDir(), 'back.json');
    const get = await cli(['workflows', 'get', 'desk test/Flou ü', '--server', url!, '--out', out, '--data', data]);
    expect(get.status).toBe(0);
    expect(readFileSync(out, 'utf8')).toBe(readFileSync(onDisk, 'utf8'));
    expect(JSON.parse(readFileSync(out, 'utf8'))).toEqual(graph);

    // A second put of the same name without --as replaces it; 409 is never hit silently.
    const run = await cli([
      'run',
      'server:desk test/Flou ü',
      '--server',
      url!,
      '--wait',
      '--timeout',
      '120',
      '--data',
      data,
    ]);
    expect(run.stderr).not.toMatch(/Error/);
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/Stored [1-9]\d* output/);
  }, 300_000);

  // "Run any workflow as it was saved": each model-free workflow made into a subgraph (and with a
  // bypassed node and Reroutes), converted by Comfy Desk, runs on the real server to the same images
  // as the prompt ComfyUI's own frontend made from it.
  it("UI workflows converted by Comfy Desk run to the same images as the frontend's prompts", async (ctx) => {
    if (skipReason) {
      console.warn(`SKIPPED real ComfyUI test: ${skipReason}`);
      ctx.skip();
      return;
    }
    const data = tempDir();
    // load_invert_save reads peer_test.png from the server's input folder.
    const input = join(work, 'data', 'input', 'peer_test.png');
    copyFileSync(join(FIXTURES, 'comfyui-png', 'controlnet__input_scribble_example.png'), input);
    const pixelsOf = async (folder: string) => {
      const files = readdirSync(folder).filter((f) => f.endsWith('.png'));
      const hashes = await Promise.all(
        files.map(async (f) => {
          const raw = await sharp(join(folder, f)).raw().toBuffer();
          return createHash('sha256').update(raw).digest('hex');
        }),
      );
      return hashes.sort();
    };
    const runTo = async (file: string) => {
      const out = tempDir();
      const result = await cli([
        'run',
        file,
        '--server',
        url!,
        '--wait',
        '--timeout',
        '120',
        '--out',
        out,
        '--data',
        data,
      ]);
      expect(result.stderr, file).not.toMatch(/Error|Usage/);
      expect(result.status, file).toBe(0);
      return pixelsOf(out);
    };
    for (const name of [
      'peer_load_invert_save_subgraph',
      'peer_load_invert_save_bypass_reroute',
      'peer_empty_blur_scale_save_subgraph',
      'peer_empty_blur_scale_save_bypass_reroute',
    ]) {
      const ours = await runTo(join(FIXTURES, 'ui-to-api-subgraphs', `${name}.workflow.json`));
      const frontends = await runTo(join(FIXTURES, 'ui-to-api-subgraphs', `${name}.prompt.json`));
      expect(ours.length, name).toBeGreaterThan(0);
      expect(ours, name).toEqual(frontends);
    }
  }, 600_000);
});
