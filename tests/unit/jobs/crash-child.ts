// A Comfy Desk engine in its own process, to be killed with SIGKILL by crash.test.ts.
// argv: dataDir cloudUrl apiKey [submit N]. Prints what happens, one line per fact.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Engine } from '../../../electron/engine/engine';
import { FAST, memorySecrets } from './cloud-harness';
import { FIXTURES } from './journal-helpers';

const [dataDir, cloudUrl, apiKey, action, count] = process.argv.slice(2) as [string, string, string, string?, string?];
const engine = await Engine.open({
  shell: 'host',
  dataDir,
  monitor: false,
  secrets: memorySecrets({ cloud: apiKey }),
  cloudUrl,
  timings: FAST,
});
engine.on('job.changed', (job) => console.log(`JOB ${job.id} ${job.state}`));
engine.on('output.changed', (o) => console.log(`OUTPUT ${o.id} ${o.state} ${o.hash ?? ''}`));
if (action === 'submit') {
  const workflow = JSON.parse(readFileSync(join(FIXTURES, 'workflows', 'comfyui-basic_api_example.api.json'), 'utf8'));
  const jobs = await engine.handlers['jobs.submit']({ workflow, name: 'crash', count: Number(count ?? 1) });
  console.log(`SUBMITTED ${jobs.map((j) => j.id).join(',')}`);
}
setInterval(() => undefined, 1000); // stay alive until killed
