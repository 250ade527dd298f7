// Downloads: 200 files of 4 MB through /api/view's 302 and the signed storage origin, into the
// content-addressed store (hashed, fsynced), against curl fetching the same files in parallel in the
// same run and then fsyncing each file it wrote (the same durable work: the engine never reports a
// file stored before it is on disk); the disk's own durable write rate (dd, conv=fsync) is printed as
// the limit. Then the client's peak RSS growth while it downloads one 1 GB file.
import { execFileSync } from 'node:child_process';
import { closeSync, fsyncSync, mkdtempSync, openSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { ComfyHttp } from '../electron/engine/cloud/http';
import { OutputStore, createLimiter, downloadTo } from '../electron/engine/store';
import { startCloudProcess } from './fake-cloud-process';
import { report } from './report';

const FILES = 200;
const SIZE = 4 * 1024 * 1024;
const BIG = 1024 * 1024 * 1024;
const PARALLEL = 8;

export async function benchDownloads(): Promise<void> {
  const cloud = await startCloudProcess(['--static-files', `${FILES}x${SIZE},1x${BIG}`]);
  const dir = mkdtempSync(join(tmpdir(), 'bench-downloads-'));
  const http = new ComfyHttp({ kind: 'cloud', url: cloud.url }, { apiKey: () => cloud.apiKey });
  try {
    const small = cloud.statics.slice(0, FILES);
    const big = cloud.statics[FILES]!;

    // Ours: the engine's own path (302 by hand, keyless storage fetch, hash, fsync, rename).
    const store = new OutputStore(join(dir, 'store'));
    const limiter = createLimiter(PARALLEL);
    const t0 = performance.now();
    await Promise.all(
      small.map((ref, i) => limiter.run(() => downloadTo(store, `bench-${i}`, (offset) => http.openView(ref, offset)))),
    );
    const oursSeconds = (performance.now() - t0) / 1000;

    // curl, the same files from the same signed storage, PARALLEL at a time, written to disk.
    const signed: string[] = [];
    for (const ref of small) {
      const query = new URLSearchParams({ filename: ref.filename, subfolder: ref.subfolder, type: ref.type });
      const res = await request(`${cloud.url}/api/view?${query}`, { headers: { 'x-api-key': cloud.apiKey } });
      await res.body.dump();
      signed.push(String(res.headers.location));
    }
    const curlDir = join(dir, 'curl');
    const config = signed.map((url, i) => `url = "${url}"\noutput = "${join(curlDir, `f${i}`)}"`).join('\n');
    writeFileSync(join(dir, 'curl.cfg'), config);
    const t1 = performance.now();
    execFileSync('curl', [
      '-s',
      '--no-progress-meter',
      '-f',
      '--create-dirs',
      '--parallel',
      '--parallel-max',
      String(PARALLEL),
      '-K',
      join(dir, 'curl.cfg'),
    ]);
    for (const name of readdirSync(curlDir)) fsyncPath(join(curlDir, name));
    fsyncPath(curlDir);
    const curlSeconds = (performance.now() - t1) / 1000;

    // The disk's durable write rate: the most any of them could do.
    const t2 = performance.now();
    execFileSync('dd', ['if=/dev/zero', `of=${join(dir, 'dd.bin')}`, 'bs=4M', `count=${FILES}`, 'conv=fsync'], {
      stdio: 'ignore',
    });
    const ddSeconds = (performance.now() - t2) / 1000;

    const mb = (FILES * SIZE) / 1024 / 1024;
    report('download_throughput', mb / oursSeconds, 'MB/s', 'n/a', true);
    report('download_throughput_curl_fsync', mb / curlSeconds, 'MB/s', 'n/a', true);
    report('disk_durable_write', mb / ddSeconds, 'MB/s', 'n/a', true);
    const ratio = curlSeconds / oursSeconds;
    report('download_vs_curl_fsync', ratio, 'x', '>=0.8', ratio >= 0.8);

    // One 1 GB file: streamed, never buffered whole.
    global.gc?.();
    const baseline = process.memoryUsage().rss;
    let peak = baseline;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
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

/** fsync a file or a folder (a folder: so the names of what was written in it are durable too). */
function fsyncPath(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
