// Which inputs of an API-format workflow are seeds: one rule for the engine (seed strategies,
// re-run with a new seed) and the window (whether to offer them at all).

/** Widget inputs that ComfyUI's samplers take as a seed. */
export const SEED_INPUTS = ['seed', 'noise_seed'] as const;

/** Every widget seed input of a workflow: node id and input name. Anything that is not a workflow has none. */
export function seedInputsOf(workflow: unknown): { nodeId: string; input: string }[] {
  const found: { nodeId: string; input: string }[] = [];
  if (!workflow || typeof workflow !== 'object') return found;
  for (const [nodeId, node] of Object.entries(workflow as Record<string, unknown>)) {
    const inputs = (node as { inputs?: Record<string, unknown> } | null)?.inputs;
    for (const input of SEED_INPUTS) if (typeof inputs?.[input] === 'number') found.push({ nodeId, input });
  }
  return found;
}

export function hasSeedInput(workflow: unknown): boolean {
  return seedInputsOf(workflow).length > 0;
}
