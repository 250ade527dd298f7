// `npm run soak [-- --kills 100 --jobs 50 --max-minutes 15]`: the crash-and-network soak (not part of
// npm test). Part 1 SIGKILLs an engine child at random points, --kills times, restarting it on the same
// data folder and checking the journal and the store after every kill; part 2 runs --jobs jobs while
// the fake cloud drops every WebSocket every 2 s. Prints `SOAK <name> <value> <unit> goal=<goal> <ok|short>`
// lines and exits non-zero if any is short (or the time limit was hit).
//
// Flags: --kills N (100)  --jobs N (50)  --max-minutes M (15)  --kill-min-ms (100)  --kill-max-ms (3000)
//        --drop-every-ms (2000)  --seed S (random)  --only kill|ws  --keep-data (keep the temp folders)
import { parseArgs } from 'node:util';
import { Report, seededRandom } from './common';
import { killSoak } from './kill-soak';
import { cleanupAll } from './processes';
import { wsDropSoak } from './ws-drop-soak';

const { values } = parseArgs({
  options: {
    kills: { type: 'string', default: '100' },
    jobs: { type: 'string', default: '50' },
    'max-minutes': { type: 'string', default: '15' },
    'kill-min-ms': { type: 'string', default: '100' },
    'kill-max-ms': { type: 'string', default: '3000' },
    'drop-every-ms': { type: 'string', default: '2000' },
    'finish-timeout-s': { type: 'string', default: '180' },
    'ws-timeout-s': { type: 'string', default: '300' },
    seed: { type: 'string' },
    only: { type: 'string' },
    'keep-data': { type: 'boolean', default: false },
  },
});

const int = (name: keyof typeof values, min: number): number => {
  const n = Number(values[name]);
  if (!Number.isInteger(n) || n < min) {
    console.error(`--${name} must be an integer >= ${min} (got ${String(values[name])})`);
    process.exit(2);
  }
  return n;
};
const kills = int('kills', 0);
const jobs = int('jobs', 1);
const maxMinutes = Number(values['max-minutes']);
if (!(maxMinutes > 0)) {
  console.error('--max-minutes must be a positive number');
  process.exit(2);
}
const killMinMs = int('kill-min-ms', 0);
const killMaxMs = Math.max(killMinMs, int('kill-max-ms', 0));
const seed = values.seed !== undefined ? int('seed', 0) : Math.floor(Math.random() * 2 ** 31);
const only = values.only;
if (only !== undefined && only !== 'kill' && only !== 'ws') {
  console.error('--only must be "kill" or "ws"');
  process.exit(2);
}
const keepData = values['keep-data'] === true;

const started = Date.now();
const limitMs = maxMinutes * 60_000;
const deadline = started + limitMs;
const report = new Report();

// Whatever happens, no engine child outlives the soak, and temp folders go.
process.on('exit', () => cleanupAll(keepData));
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    console.log(`# ${signal}: stopping`);
    cleanupAll(keepData);
    process.exit(130);
  });
}
// A last resort if something hangs past the limit (every wait has its own bound; this is for the rest).
setTimeout(() => {
  report.line('time_limit', (Date.now() - started) / 1000, 's', `<${limitMs / 1000}`, false);
  console.log('# the soak hung past its time limit: stopped');
  cleanupAll(keepData);
  process.exit(2);
}, limitMs + 60_000).unref();

console.log(
  `# soak: seed ${seed}, kills ${kills}, jobs ${jobs}, limit ${maxMinutes} min, kill delay ${killMinMs}-${killMaxMs} ms`,
);
let timeUp = false;
let failed: unknown = null;
try {
  if (only !== 'ws') {
    const result = await killSoak({
      kills,
      killMinMs,
      killMaxMs,
      finishTimeoutMs: int('finish-timeout-s', 1) * 1000,
      random: seededRandom(seed),
      deadline,
      keepData,
      report,
    });
    timeUp ||= result.timeUp;
  }
  if (only !== 'kill' && !timeUp && Date.now() < deadline) {
    const result = await wsDropSoak({
      jobs,
      dropEveryMs: int('drop-every-ms', 10),
      timeoutMs: int('ws-timeout-s', 1) * 1000,
      deadline,
      keepData,
      report,
    });
    timeUp ||= result.timeUp;
  } else if (only !== 'kill') {
    timeUp = true;
  }
} catch (err) {
  failed = err;
  console.log(`# the soak failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
}

const total = (Date.now() - started) / 1000;
if (failed) report.line('soak_errors', 1, 'count', '0', false);
report.line('time_limit', total, 's', `<${limitMs / 1000}`, !timeUp && Date.now() <= deadline);
report.line('total_time', total, 's', 'n/a', true);
cleanupAll(keepData);
const short = report.short;
console.log(short.length === 0 ? '# soak: all ok' : `# soak: short on ${short.join(', ')}`);
process.exit(short.length === 0 ? 0 : 1);
