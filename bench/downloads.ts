// Downloads: 200 files of 4 MB through /api/view's 302 and the signed storage origin, into the
// content-addressed store (hashed, fsynced), against curl fetching the same files in parallel in the
// same run and then fsyncing each file it wrote (the same durable work: the engine never reports a
// file stored before it is on disk); the disk's own durable write rate (dd, conv=fsync) is printed as
// the limit. Several rounds, ours and curl in turns; the median ratio and its spread are printed.
// Then the client's peak RSS growth while it downloads one 1 GB file.
import { execFileSync } from 'node:child_process';
import { closeSync, fsyncSync, mkdtempSync, openSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { ComfyHttp } from '../electron/engine/cloud/http';
import { OutputStore, createLimiter, downloadTo } from '../electron/engine/store';
import type { OutputRef } from '../tests/fake-cloud/index';
import { startCloudProcess, type CloudProcess } from './fake-cloud-process';
import { percentile, report } from './report';

const FILES = 200;
const SIZE = 4 * 1024 * 1024;
const BIG = 1024 * 1024 * 1024;
const PARALLEL = 8;
/** Rounds of ours against curl: the ratio is noisy on a shared machine. */
const ROUNDS = 6;

export async function benchDownloads(): Promise<void> {
  const cloud = await startCloudProcess(['--static-files', `${FILES}x${SIZE},1x${BIG}`]);
  const dir = mkdtempSync(join(tmpdir(), 'bench-downloads-'));
  const http = new ComfyHttp({ kind: 'cloud', url: cloud.url }, { apiKey: () => cloud.apiKey });
  try {
    const small = cloud.statics.slice(0, FILES);
    const big = cloud.statics[FILES]!;

    // Rounds of ours and curl, on fresh folders, in turns (first one, then the other, as the
    // disk's state after a run weighs on the next), each run after a `sync` so it does not pay
    // for the last one's writes. The ratio of each round is taken within it; the median is the figure.
    const ours: number[] = [];
    const curls: number[] = [];
    const ratios: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const runOurs = async (): Promise<number> => {
        execFileSync('sync');
        return timeEngine(join(dir, `store-${round}`), http, small);
      };
      const runCurl = async (): Promise<number> => {
        // The signed storage addresses, fresh each round (they expire), asked for outside curl's
        // time; asking /api/view for the 302s takes curl about 40 ms of its second.
        const signed = await signedUrls(cloud, small);
        execFileSync('sync');
        return timeCurl(join(dir, `curl-${round}`), signed);
      };
      let oursSeconds: number;
      let curlSeconds: number;
      if (round % 2 === 0) {
        oursSeconds = await runOurs();
        curlSeconds = await runCurl();
      } else {
        curlSeconds = await runCurl();
        oursSeconds = await runOurs();
      }
      ours.push(oursSeconds);
      curls.push(curlSeconds);
      ratios.push(curlSeconds / oursSeconds);
      for (const name of [`store-${round}`, `curl-${round}`]) rmSync(join(dir, name), { recursive: true, force: true });
    }

    // The disk's durable write rate: the most any of them could do.
    execFileSync('sync');
    const t2 = performance.now();
    execFileSync('dd', ['if=/dev/zero', `of=${join(dir, 'dd.bin')}`, 'bs=4M', `count=${FILES}`, 'conv=fsync'], {
      stdio: 'ignore',
    });
    const ddSeconds = (performance.now() - t2) / 1000;
    rmSync(join(dir, 'dd.bin'), { force: true });

    const mb = (FILES * SIZE) / 1024 / 1024;
    const ratio = percentile(ratios, 50);
    report('download_throughput', mb / percentile(ours, 50), 'MB/s', 'n/a', true);
    report('download_throughput_curl_fsync', mb / percentile(curls, 50), 'MB/s', 'n/a', true);
    report('disk_durable_write', mb / ddSeconds, 'MB/s', 'n/a', true);
    report('download_vs_curl_fsync', ratio, 'x', '>=0.9', ratio >= 0.9);
    report('download_vs_curl_fsync_min', Math.min(...ratios), 'x', 'n/a', true);
    report('download_vs_curl_fsync_max', Math.max(...ratios), 'x', 'n/a', true);

    // One 1 GB file: streamed, never buffered whole.
    global.gc?.();
    const baseline = process.memoryUsage().rss;
    let peak = baseline;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
    const store = new OutputStore(join(dir, 'store-big'));
    const stored = await downloadTo(store, 'bench-big', (offset) => http.openView(big, offset));
    clearInterval(sampler);
    peak = Math.max(peak, process.memoryUsage().rss);
    if (stored.size !== BIG) throw new Error(`the big file came out at ${stored.size} bytes`);
    const growth = (peak - baseline) / 1024 / 1024;
    report('download_1gb_rss_growth', growth, 'MB', '<64', growth < 64);
  } finally {
    await http.close();
    await cloud.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Seconds for the engine's own path (302 by hand, keyless storage fetch, hash, fsync, rename), PARALLEL at a time. */
async function timeEngine(root: string, http: ComfyHttp, refs: OutputRef[]): Promise<number> {
  const store = new OutputStore(root);
  const limiter = createLimiter(PARALLEL);
  const start = performance.now();
  await Promise.all(
    refs.map((ref, i) => limiter.run(() => downloadTo(store, `bench-${i}`, (offset) => http.openView(ref, offset)))),
  );
  return (performance.now() - start) / 1000;
}

async function signedUrls(cloud: CloudProcess, refs: OutputRef[]): Promise<string[]> {
  const signed: string[] = [];
  for (const ref of refs) {
    const res = await request(`${cloud.url}/api/view?${viewQuery(ref)}`, { headers: { 'x-api-key': cloud.apiKey } });
    await res.body.dump();
    signed.push(String(res.headers.location));
  }
  return signed;
}

function viewQuery(ref: OutputRef): string {
  return String(new URLSearchParams({ filename: ref.filename, subfolder: ref.subfolder, type: ref.type }));
}

/** Seconds for curl to fetch the same files from the signed storage, PARALLEL at a time, then fsync each. */
function timeCurl(out: string, urls: string[]): number {
  const config = urls.map((url, i) => `url = "${url}"\noutput = "${join(out, `f${i}`)}"`).join('\n');
  const configPath = `${out}.cfg`;
  writeFileSync(configPath, config);
  const start = performance.now();
  execFileSync('curl', [
    '-s',
    '--no-progress-meter',
    '-f',
    '--create-dirs',
    '--parallel',
    '--parallel-max',
    String(PARALLEL),
    '-K',
    configPath,
  ]);
  for (const name of readdirSync(out)) fsyncPath(join(out, name));
  fsyncPath(out);
  const seconds = (performance.now() - start) / 1000;
  rmSync(configPath, { force: true });
  return seconds;
}

/** fsync a file or a folder (a folder: so the names of what was written in it are durable too). */
function fsyncPath(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
