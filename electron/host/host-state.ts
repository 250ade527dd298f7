// Where the headless host listened last, and with which token: kept (0600) in the data folder so
// a host that restarts comes back on the same address with the same credential, and a page left
// open reconnects by itself. Anything unreadable or foreign is ignored: a fresh one is made.
import { randomBytes } from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startHost, type Host, type HostOptions } from './server';

export interface HostState {
  address: string;
  port: number;
  token: string;
}

const FILE = 'host.json';

export function readHostState(dataDir: string): HostState | null {
  try {
    const raw = JSON.parse(readFileSync(join(dataDir, FILE), 'utf8')) as Partial<HostState>;
    const { address, port, token } = raw;
    if (typeof address !== 'string' || !/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(address)) return null;
    if (typeof port !== 'number' || !Number.isInteger(port) || port < 1024 || port > 65535) return null;
    if (typeof token !== 'string' || !/^[A-Za-z0-9_-]{32,128}$/.test(token)) return null;
    return { address, port, token };
  } catch {
    return null;
  }
}

export function writeHostState(dataDir: string, state: HostState): void {
  const path = join(dataDir, FILE);
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, JSON.stringify(state), { mode: 0o600 });
  renameSync(temp, path);
}

export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * Starts the host where it listened last, with the same token, when that port is still free (a
 * page left open then comes back by itself); elsewhere, with a new token, otherwise. A port given
 * by the person (--port) wins. What it chose is kept for next time.
 */
export async function startRememberedHost(options: Omit<HostOptions, 'token' | 'address'>): Promise<Host> {
  const dataDir = options.engine.dataDir;
  const last = readHostState(dataDir);
  const reuse = last && (!options.port || options.port === last.port) ? last : null;
  let host: Host;
  try {
    host = await startHost({
      ...options,
      token: reuse?.token ?? newToken(),
      ...(reuse ? { port: reuse.port, address: reuse.address } : {}),
    });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (!reuse || (code !== 'EADDRINUSE' && code !== 'EADDRNOTAVAIL')) throw err;
    host = await startHost({ ...options, token: newToken() });
  }
  writeHostState(dataDir, {
    address: host.address,
    port: host.port,
    token: new URL(host.url).searchParams.get('token')!,
  });
  return host;
}
