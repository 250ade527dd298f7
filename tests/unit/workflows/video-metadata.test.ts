// The workflow inside a video or audio file: MP4 and WebM container tags as ComfyUI writes them
// (`prompt` and `workflow` JSON strings; WebM's keys read back upper case), a VideoHelperSuite
// `comment`, FLAC tags; animated WebP's EXIF; "Open workflow" from a video's bytes. Hostile tags
// (huge, deeply nested, not objects) give null, within the image reader's limits.
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { workflowCommands } from '../../../electron/engine/commands/workflows';
import type { JobsModule } from '../../../electron/engine/jobs/module';
import type { EngineParts } from '../../../electron/engine/parts';
import { OutputStore, probeMedia } from '../../../electron/engine/store';
import { embeddedFromTags, readImageMetadata, readVideoMetadata } from '../../../electron/engine/workflows/metadata';
import { DeskError } from '../../../shared/errors';
import { FIXTURES } from '../jobs/journal-helpers';
import { makeAudio, makeVideo, replaceMp4Tag } from '../store/media-files';

const MiB = 1024 * 1024;
const prompt = JSON.parse(
  readFileSync(join(FIXTURES, 'workflows', 'comfyui-basic_api_example.api.json'), 'utf8'),
) as Record<string, unknown>;
const workflow = JSON.parse(
  readFileSync(join(FIXTURES, 'workflows', 'fofr-sd15_text2img_not_api_version.json'), 'utf8'),
) as Record<string, unknown>;
/** As ComfyUI's savers write them: json.dumps of each. */
const comfyTags = { prompt: JSON.stringify(prompt), workflow: JSON.stringify(workflow) };
/** `{"a":{"a":…{}}}` nested `depth` levels. */
const nested = (depth: number) => '{"a":'.repeat(depth - 1) + '{}' + '}'.repeat(depth - 1);

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'comfy-desk-video-meta-'));
  makeVideo(join(dir, 'comfy.mp4'), { audio: true, tags: comfyTags });
  makeVideo(join(dir, 'comfy.webm'), { tags: comfyTags });
  makeVideo(join(dir, 'vhs.mp4'), { tags: { comment: JSON.stringify({ prompt, workflow }) } });
  makeVideo(join(dir, 'plain.mp4'));
  makeAudio(join(dir, 'comfy.flac'), 1, comfyTags);
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('readVideoMetadata', () => {
  it('reads back the prompt and workflow an MP4 and a WebM were written with', async () => {
    expect(await readVideoMetadata(join(dir, 'comfy.mp4'))).toEqual({ prompt, workflow });
    // WebM's tags come back as PROMPT and WORKFLOW.
    expect(await readVideoMetadata(join(dir, 'comfy.webm'))).toEqual({ prompt, workflow });
  });

  it("a VideoHelperSuite comment holding both, and ComfyUI's audio (FLAC tags)", async () => {
    expect(await readVideoMetadata(join(dir, 'vhs.mp4'))).toEqual({ prompt, workflow });
    expect(await readVideoMetadata(join(dir, 'comfy.flac'))).toEqual({ prompt, workflow });
  });

  it('a video without them gives nulls; an unreadable one gives nulls and the reason', async () => {
    expect(await readVideoMetadata(join(dir, 'plain.mp4'))).toEqual({ prompt: null, workflow: null });
    const garbage = join(dir, 'garbage.mp4');
    writeFileSync(garbage, Buffer.concat([Buffer.from('\0\0\0\x18ftypisom'), Buffer.alloc(4096, 7)]));
    expect(await readVideoMetadata(garbage)).toEqual({
      prompt: null,
      workflow: null,
      reason: expect.stringMatching(/ffprobe/),
    });
  });

  it('hostile tags: one nested 5,000 levels and one of 17 MiB give null; the other field is still read', async () => {
    const deep = join(dir, 'deep.mp4');
    makeVideo(deep, { tags: { prompt: nested(5000), workflow: comfyTags.workflow } });
    expect(await readVideoMetadata(deep)).toEqual({ prompt: null, workflow });
    const huge = join(dir, 'huge.mp4');
    // Valid JSON, larger than the 16 MiB any workflow gets (too long for a command line: patched in).
    makeVideo(huge, { tags: { prompt: 'PLACEHOLDER', workflow: comfyTags.workflow } });
    const big = JSON.stringify({ x: 'a'.repeat(17 * MiB) });
    replaceMp4Tag(huge, 'PLACEHOLDER', big);
    // ffprobe reads the tag whole: it is the size limit that refuses it.
    const probe = await probeMedia(huge);
    expect(probe.ok && probe.tags.prompt?.length).toBe(big.length);
    const started = Date.now();
    expect(await readVideoMetadata(huge)).toEqual({ prompt: null, workflow });
    expect(Date.now() - started).toBeLessThan(15_000);
  }, 60_000);

  it('tags larger than the probe reads (48 MiB): the file is still described, without them', async () => {
    const path = join(dir, 'enormous.mp4');
    makeVideo(path, { tags: { prompt: 'PLACEHOLDER', workflow: comfyTags.workflow } });
    replaceMp4Tag(path, 'PLACEHOLDER', 'x'.repeat(50 * MiB));
    const probe = await probeMedia(path);
    expect(probe).toMatchObject({ ok: true, kind: 'video', width: 64, durationMs: 1000 });
    expect(probe.ok && probe.tags).toEqual({});
    expect(await readVideoMetadata(path)).toEqual({ prompt: null, workflow: null });
  }, 60_000);
});

describe('embeddedFromTags', () => {
  it('any key case, the first of each; a JSON string of JSON read once more', () => {
    expect(embeddedFromTags({ Prompt: '{"1":{}}', PROMPT: '{"2":{}}', WorkFlow: '{"nodes":[]}' })).toEqual({
      prompt: { '1': {} },
      workflow: { nodes: [] },
    });
    expect(embeddedFromTags({ prompt: JSON.stringify(JSON.stringify({ a: 1 })) })).toEqual({
      prompt: { a: 1 },
      workflow: null,
    });
  });

  it('not objects, not JSON, too deep: null; a comment fills only what the keys left out', () => {
    for (const value of ['[1,2]', '42', '"text"', 'null', '{broken', '', nested(65)]) {
      expect(embeddedFromTags({ prompt: value, workflow: value }), value.slice(0, 20)).toEqual({
        prompt: null,
        workflow: null,
      });
    }
    expect(embeddedFromTags({ prompt: nested(64) }).prompt).not.toBeNull();
    const comment = JSON.stringify({ prompt: { from: 'comment' }, workflow: JSON.stringify({ from: 'comment' }) });
    expect(embeddedFromTags({ prompt: '{"from":"key"}', comment })).toEqual({
      prompt: { from: 'key' },
      workflow: { from: 'comment' },
    });
    expect(embeddedFromTags({ comment: 'made with love' })).toEqual({ prompt: null, workflow: null });
  });
});

describe('animated WebP', () => {
  it("reads ComfyUI's SaveAnimatedWEBP EXIF (workflow:{…} in Make, prompt:{…} in Model)", () => {
    const meta = readImageMetadata(readFileSync(join(FIXTURES, 'comfyui-png', 'wan__text_to_video_wan.webp')));
    expect(meta).toMatchObject({ format: 'webp', width: 832, height: 480 });
    const classes = Object.values(meta.prompt ?? {}).map((n) => (n as { class_type: string }).class_type);
    expect(classes).toContain('SaveAnimatedWEBP');
    expect(Array.isArray(meta.workflow?.nodes)).toBe(true);
  });
});

describe('workflows.fromImage with a video', () => {
  const commands = () => {
    const store = new OutputStore(join(dir, 'store'));
    const handlers = workflowCommands({
      jobs: {} as JobsModule,
      parts: { store } as unknown as EngineParts,
      activeProfileId: () => 'cloud',
      emit: () => undefined,
    });
    return { store, fromImage: handlers['workflows.fromImage'] };
  };

  it("finds a video's embedded workflow from its bytes, and leaves no temp file", async () => {
    const { store, fromImage } = commands();
    const data = readFileSync(join(dir, 'comfy.mp4')).toString('base64');
    expect(await fromImage({ data })).toEqual({ prompt, workflow, width: 64, height: 64 });
    const webm = readFileSync(join(dir, 'comfy.webm')).toString('base64');
    expect(await fromImage({ data: webm })).toMatchObject({ prompt, workflow });
    expect(readdirSync(store.tmpDir)).toEqual([]);
  });

  it('a broken video and a file that is neither image nor video are refused with a reason', async () => {
    const { fromImage } = commands();
    const broken = Buffer.concat([Buffer.from('\0\0\0\x18ftypisom'), Buffer.alloc(4096, 7)]).toString('base64');
    await expect(fromImage({ data: broken })).rejects.toThrow(/This video cannot be read/);
    const text = Buffer.from('hello, world').toString('base64');
    await expect(fromImage({ data: text })).rejects.toBeInstanceOf(DeskError);
  });
});
