// An upgrade step in words, the same in the host's console, the CLI and Electron's upgrade window.
import type { UpgradeStep } from './upgrade';

/** "Upgrading the journal (1,000,000 outputs), step 1 of 2: Counting the gallery by its filters…" */
export function upgradeLine(step: UpgradeStep): string {
  return `Upgrading the journal${upgradeSize(step)}, step ${step.step} of ${step.of}: ${step.says}…`;
}

/** " (1,000,000 outputs)", or nothing for a journal without outputs. */
export function upgradeSize(step: UpgradeStep): string {
  return step.outputs > 0 ? ` (${step.outputs.toLocaleString('en-US')} outputs)` : '';
}
