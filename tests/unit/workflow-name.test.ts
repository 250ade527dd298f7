// The name a workflow file gives its workflow (shared/saved-workflows.ts): the same for a file
// dropped on the window and one given to `comfy-desk run`.
import { expect, it } from 'vitest';
import { keptOutputs } from '../../shared/jobs';
import { workflowNameOfFile } from '../../shared/saved-workflows';

it.each([
  ['portrait.json', 'portrait'],
  ['/home/me/flows/portrait.workflow.json', 'portrait'],
  ['C:\\flows\\portrait.api.json', 'portrait'],
  ['portrait_api.json', 'portrait'],
  ['ComfyUI_00012_.png', 'ComfyUI_00012_'],
  ['clip.WEBM', 'clip'],
  ['notes.txt', 'notes.txt'],
  ['.json', 'workflow'],
  ['', 'workflow'],
  ['a.workflow.workflow.json', 'a.workflow'],
])('%s is "%s"', (file, name) => {
  expect(workflowNameOfFile(file)).toBe(name);
});

it('a run keeps what it saved; its previews only where it saved nothing', () => {
  const saved = { id: 1, type: 'output' };
  const preview = { id: 2, type: 'temp' };
  expect(keptOutputs([preview, saved])).toEqual([saved]);
  expect(keptOutputs([preview])).toEqual([preview]);
  expect(keptOutputs([])).toEqual([]);
});
