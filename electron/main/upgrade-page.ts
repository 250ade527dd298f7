// The upgrade window's page (upgrade-window.ts): what is happening, the step, a moving bar. Static
// HTML, light or dark as the system is; every text in it is escaped.
import type { UpgradeStep } from '../engine/journal/upgrade';
import { escapeMarkup } from '../../shared/markup';
import { upgradeLine, upgradeSize } from '../engine/journal/upgrade-words';

const CSP = "default-src 'none'; style-src 'unsafe-inline'";

export function upgradePage(step: UpgradeStep): string {
  const size = upgradeSize(step);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${CSP}">
<title>Comfy Desk: upgrading</title>
<style>
  :root { color-scheme: light dark; --bg: #f6f7f9; --text: #1b1d22; --faint: #5b6170; --track: #dde1e8; --accent: #3f6ee8; }
  @media (prefers-color-scheme: dark) { :root { --bg: #111318; --text: #e8eaf0; --faint: #9aa1b2; --track: #262a33; --accent: #7c9cff; } }
  html, body { margin: 0; height: 100%; background: var(--bg); color: var(--text); font: 14px/1.45 system-ui, sans-serif; }
  main { box-sizing: border-box; height: 100%; padding: 28px 32px; display: flex; flex-direction: column; gap: 10px; justify-content: center; }
  h1 { margin: 0; font-size: 16px; font-weight: 600; }
  p { margin: 0; color: var(--faint); }
  .bar { position: relative; height: 6px; border-radius: 3px; background: var(--track); overflow: hidden; margin-top: 6px; }
  .bar::after { content: ''; position: absolute; inset: 0 auto 0 0; width: 35%; border-radius: 3px; background: var(--accent); animation: slide 1.4s ease-in-out infinite; }
  @keyframes slide { from { transform: translateX(-100%); } to { transform: translateX(290%); } }
  @media (prefers-reduced-motion: reduce) { .bar::after { animation: none; width: ${Math.round((100 * (step.step - 0.5)) / step.of)}%; } }
</style></head>
<body><main role="status" aria-label="${escapeMarkup(upgradeLine(step))}">
  <h1>Upgrading your gallery${escapeMarkup(size)}</h1>
  <p>Step ${step.step} of ${step.of}: ${escapeMarkup(step.says)}. This happens once; everything is kept.</p>
  <div class="bar" aria-hidden="true"></div>
</main></body></html>`;
}
