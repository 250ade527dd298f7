// Run by no-dbus.test.ts in a child process WITHOUT a D-Bus session or a display: opens the engine with
// the real keytar store and reports, as one JSON line on stdout, what a person would see.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dispatch } from '../../../electron/engine/dispatch';
import { Engine } from '../../../electron/engine/engine';

const [dataDir, key] = process.argv.slice(2);
if (!dataDir || !key) throw new Error('usage: no-dbus-child.ts <dataDir> <key>');

// A local ComfyUI stand-in on loopback: /api/system_stats as ComfyUI answers it.
const server = createServer((req, res) => {
  if (req.url === '/api/system_stats') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({ system: { os: 'posix', comfyui_version: '0.3.99', python_version: '3.12' }, devices: [] }),
    );
    return;
  }
  res.writeHead(404).end();
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const port = (server.address() as AddressInfo).port;

const engine = await Engine.open({
  shell: 'host',
  dataDir,
  keychainService: 'Comfy Desk Test no-dbus',
  monitor: false,
});
const call = (name: string, input?: unknown): Promise<unknown> =>
  dispatch(engine.handlers, name, input, engine.log, engine.redact);

const info = await call('app.info');
const set = await call('key.set', { profileId: 'cloud', key });
const status = await call('key.status', { profileId: 'cloud' });
await call('profiles.save', { id: 'local', name: 'Local ComfyUI', kind: 'local', url: `http://127.0.0.1:${port}` });
await call('settings.set', { activeProfileId: 'local' });
const localTest = await call('key.test', { profileId: 'local' });
await engine.close();
server.close();

process.stdout.write(JSON.stringify({ info, set, status, localTest }) + '\n');
