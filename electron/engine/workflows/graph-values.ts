// The graph from ComfyUI's editor with the values a prompt runs with written in (its seed, a sweep's
// value, the form's edits), for what leaves the app with it: extra_pnginfo, exports, the library.
import type { ApiWorkflow } from './api-format';
import { writeValuesToUi } from './ui';
import type { ObjectInfo } from './validate';

/**
 * The graph with the prompt's values in it; the graph as it was kept when that cannot be done (no
 * node list for the server, a graph the converter refuses): it still opens in ComfyUI.
 */
export function graphWithValues(
  ui: Record<string, unknown> | null,
  objectInfo: ObjectInfo | null,
  prompt: Record<string, unknown> | null,
): Record<string, unknown> | null {
  if (!ui || !objectInfo || !prompt || Object.keys(prompt).length === 0) return ui;
  try {
    return writeValuesToUi(ui, objectInfo, prompt as ApiWorkflow);
  } catch {
    return ui;
  }
}
