import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Logger, Redactor } from '../../../electron/engine/log';
import { dispatch } from '../../../electron/engine/dispatch';
import { Engine } from '../../../electron/engine/engine';
import { UnavailableSecretStore } from '../../../electron/engine/secrets';
import { useTempDirs } from './tmp';

const tempDir = useTempDirs();

describe('Redactor', () => {
  const redactor = new Redactor();
  const key = 'comfyui-9f8e7d6c5b4a3210';
  redactor.add(key);

  it.each([
    [`using key ${key} now`, key],
    ['GET /api/view?filename=a.png&token=s3cr3tTok&type=output', 's3cr3tTok'],
    ['ws://host/ws?clientId=1&access_token=abc.def.ghi', 'abc.def.ghi'],
    ['X-API-Key: other-key-123456', 'other-key-123456'],
    ['headers {"x-api-key":"json-key-987654"}', 'json-key-987654'],
    ["{'X-Api-Key': 'py-key-55555'}", 'py-key-55555'],
    ['{"extra_data":{"api_key_comfy_org":"org-key-4444"}}', 'org-key-4444'],
    ['api_key_comfy_org=plain-key-3333', 'plain-key-3333'],
    ['Authorization: Bearer eyJhbGciOi.payload.sig', 'eyJhbGciOi.payload.sig'],
    ['{"authorization":"Bearer tok-2222"}', 'tok-2222'],
  ])('redacts %s', (text, secret) => {
    const out = redactor.redact(text);
    expect(out).not.toContain(secret);
    expect(out).toContain('[redacted]');
  });

  it('leaves ordinary text alone and does not double-redact', () => {
    expect(redactor.redact('the token expired; retry in 5 s')).toBe('the token expired; retry in 5 s');
    const once = redactor.redact('token=abc&x=1');
    expect(once).toBe('token=[redacted]&x=1');
    expect(redactor.redact(once)).toBe(once);
  });

  it('redacts nested fields, secret-named fields and errors', () => {
    const out = redactor.redactValue({
      url: 'https://c/api/view?token=zzz999',
      headers: { 'X-API-Key': 'hdr-value-1', accept: 'json' },
      apiKey: 'field-value-2',
      list: [`k=${key}`],
      error: new Error(`failed with ${key}`),
    });
    const text = JSON.stringify(out);
    for (const s of ['zzz999', 'hdr-value-1', 'field-value-2', key]) expect(text).not.toContain(s);
    expect(text).toContain('"accept":"json"');
  });
});

describe('Logger', () => {
  it('writes JSON lines with redacted messages and fields', () => {
    const dir = tempDir();
    const redactor = new Redactor();
    redactor.add('comfyui-secret-abcdef');
    const log = new Logger({ dir, redactor });
    log.info('sent comfyui-secret-abcdef to server', {
      headers: { 'x-api-key': 'comfyui-secret-abcdef' },
      note: 'Authorization: Bearer t0k3n',
    });
    log.error('failed', { error: new Error('token=qwerty12 leaked') });
    const text = readFileSync(join(dir, 'comfy-desk.log'), 'utf8');
    const lines = text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(2);
    expect(lines[0]?.level).toBe('info');
    expect(lines[0]?.msg).toBe('sent [redacted] to server');
    for (const s of ['comfyui-secret-abcdef', 't0k3n', 'qwerty12']) expect(text).not.toContain(s);
  });

  it('rotates by size and keeps only the configured number of files', () => {
    const dir = tempDir();
    const log = new Logger({ dir, redactor: new Redactor(), maxBytes: 1000, keep: 3 });
    for (let i = 0; i < 100; i++) log.info(`line ${i}`, { pad: 'x'.repeat(80) });
    const files = readdirSync(dir).sort();
    expect(files).toEqual(['comfy-desk.log', 'comfy-desk.log.1', 'comfy-desk.log.2', 'comfy-desk.log.3']);
    for (const f of files) expect(readFileSync(join(dir, f)).length).toBeLessThanOrEqual(1000);
    // The newest line is in the current file, the oldest ones are gone.
    expect(readFileSync(join(dir, 'comfy-desk.log'), 'utf8')).toContain('"line 99"');
    const all = files.map((f) => readFileSync(join(dir, f), 'utf8')).join('');
    expect(all).not.toContain('"line 0"');
    // Rotated files are in order: .1 is newer than .2.
    const firstOf = (f: string): number => Number(/"line (\d+)"/.exec(readFileSync(join(dir, f), 'utf8'))?.[1]);
    expect(firstOf('comfy-desk.log.1')).toBeGreaterThan(firstOf('comfy-desk.log.2'));
    // A reopened logger continues from the current size.
    const again = new Logger({ dir, redactor: new Redactor(), maxBytes: 1000, keep: 3 });
    again.info('after reopen');
    expect(readFileSync(join(dir, 'comfy-desk.log')).length).toBeLessThanOrEqual(1000);
  });
});

describe('a key never reaches disk', () => {
  it('after set / status / test / clear, the key is in no journal or log byte', async () => {
    const dataDir = tempDir();
    const key = 'comfyui-leakcheck-7a6b5c4d3e2f';
    const engine = await Engine.open({ shell: 'host', dataDir, secrets: new UnavailableSecretStore(), monitor: false });
    // Point the Cloud profile at a closed loopback port so the test makes a real (failing) request with the key.
    await engine.handlers['profiles.save']({
      id: 'cloud',
      name: 'Comfy Cloud',
      kind: 'cloud',
      url: 'http://127.0.0.1:9',
    });
    const set = await dispatch(engine.handlers, 'key.set', { profileId: 'cloud', key }, engine.log, engine.redact);
    expect(set.ok && (set.value as { storage: string }).storage).toBe('memory');
    const status = await dispatch(engine.handlers, 'key.status', { profileId: 'cloud' }, engine.log, engine.redact);
    expect(JSON.stringify(status)).not.toContain(key);
    expect(JSON.stringify(status)).toContain('"last4":"3e2f"');
    const test = await dispatch(engine.handlers, 'key.test', { profileId: 'cloud' }, engine.log, engine.redact);
    expect(test.ok).toBe(true);
    expect(JSON.stringify(test)).not.toContain(key);
    engine.log.error(`something mentioned ${key}`, { key, nested: { apiKey: key } });
    await dispatch(engine.handlers, 'key.clear', { profileId: 'cloud' }, engine.log, engine.redact);
    // Read the raw bytes while the journal is still open (WAL and shared-memory files exist), then after close.
    const files = (): string[] =>
      [
        join(dataDir, 'journal.sqlite3'),
        join(dataDir, 'journal.sqlite3-wal'),
        join(dataDir, 'journal.sqlite3-shm'),
        ...readdirSync(join(dataDir, 'logs')).map((f) => join(dataDir, 'logs', f)),
      ].filter((f) => existsSync(f));
    const before = files();
    expect(before.some((f) => f.endsWith('-wal'))).toBe(true);
    for (const f of before) expect(readFileSync(f).includes(Buffer.from(key)), f).toBe(false);
    await engine.close();
    for (const f of files()) expect(readFileSync(f).includes(Buffer.from(key)), f).toBe(false);
    // The log did record the flow (so the check above looked at real content).
    const log = readFileSync(join(dataDir, 'logs', 'comfy-desk.log'), 'utf8');
    expect(log).toContain('key set');
    expect(log).toContain('[redacted]');
  });
});
