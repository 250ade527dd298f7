// Metadata from every real ComfyUI output in the fixtures, checked against their manifest.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readImageMetadata } from '../../../electron/engine/workflows/metadata';
import { FIXTURES } from '../jobs/journal-helpers';

const dir = join(FIXTURES, 'comfyui-png');
const rows = readFileSync(join(dir, 'MANIFEST.tsv'), 'utf8')
  .trim()
  .split('\n')
  .slice(1)
  .map((l) => l.split('\t'))
  .map(([file, , size, hasPrompt, hasWorkflow, classes]) => ({
    file: file!,
    size: size!,
    hasPrompt: hasPrompt === 'yes',
    hasWorkflow: hasWorkflow === 'yes',
    classes: classes ? classes.split(',') : [],
  }));

describe('image metadata', () => {
  it.each(rows)('$file: size, prompt and workflow as the manifest says', (row) => {
    const meta = readImageMetadata(readFileSync(join(dir, row.file)));
    expect(`${meta.width}x${meta.height}`).toBe(row.size);
    expect(meta.prompt !== null).toBe(row.hasPrompt);
    expect(meta.workflow !== null).toBe(row.hasWorkflow);
    if (meta.prompt) {
      const classes = [
        ...new Set(Object.values(meta.prompt).map((n) => (n as { class_type: string }).class_type)),
      ].sort();
      expect(classes).toEqual([...row.classes].sort());
    }
  });

  it('keeps UTF-8 text intact (not read as Latin-1)', () => {
    const meta = readImageMetadata(readFileSync(join(dir, 'docs__tutorial_basic_lora_text-to-image.png')));
    expect(JSON.stringify(meta.prompt)).not.toMatch(/Ã|â€/);
  });

  it('a truncated or foreign file gives empty fields, not an exception', () => {
    const png = readFileSync(join(dir, 'sdxl__sdxl_simple_example.png'));
    const cut = readImageMetadata(png.subarray(0, 100));
    expect(cut.format).toBe('png');
    expect(cut.width).toBe(1024);
    expect(cut.prompt).toBeNull();
    expect(readImageMetadata(new Uint8Array([1, 2, 3])).format).toBe('unknown');
    expect(readImageMetadata(new Uint8Array()).prompt).toBeNull();
  });
});
