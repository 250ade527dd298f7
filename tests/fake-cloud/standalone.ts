// `npm run fake-cloud [-- --local] [-- --port 8188]`: the fake Comfy Cloud for trying the app
// without an account. Point a profile at the printed address and set the printed key.
import { parseArgs } from 'node:util';
import { startFakeCloud } from './index';

const { values } = parseArgs({
  options: {
    local: { type: 'boolean' },
    port: { type: 'string' },
    'step-ms': { type: 'string' },
    steps: { type: 'string' },
    parallel: { type: 'string' },
    // For benchmarks: "200x4194304,1x1073741824" adds generated files that /api/view serves.
    'static-files': { type: 'string' },
  },
});
const cloud = await startFakeCloud({
  mode: values.local ? 'local' : 'cloud',
  port: Number(values.port ?? 0),
  stepMs: Number(values['step-ms'] ?? 150),
  steps: Number(values.steps ?? 12),
  parallel: Number(values.parallel ?? 1),
});
const statics = (values['static-files'] ?? '')
  .split(',')
  .filter(Boolean)
  .flatMap((spec) => {
    const [count, size] = spec.split('x').map(Number);
    return Array.from({ length: count! }, () => cloud.addStaticOutput(size!));
  });
if (statics.length > 0) console.log(`STATIC ${JSON.stringify(statics)}`);
console.log(`Fake ${cloud.mode === 'cloud' ? 'Comfy Cloud' : 'local ComfyUI'} running at ${cloud.url}`);
if (cloud.mode === 'cloud') console.log(`API key: ${cloud.apiKey}`);
console.log('In Comfy Desk: Settings → add a server profile with this address (and the key). Ctrl-C stops it.');
const stop = (): void => void cloud.close().then(() => process.exit(0));
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
