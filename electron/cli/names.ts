// File names for outputs copied out of the store. The server's name is untrusted: only its last
// path segment survives, stripped of anything a file system could read as a path or a device.
import { extname } from 'node:path';

export function safeOutputName(serverName: string, hash: string, taken: Set<string>): string {
  const last = serverName.split(/[\\/]/).pop() ?? '';
  let name = last
    // eslint-disable-next-line no-control-regex -- control characters are exactly what must go
    .replace(/[\x00-\x1f<>:"|?*]/g, '_')
    .replace(/^\.+/, '')
    .trim()
    .slice(0, 150);
  if (!name || /^(con|prn|aux|nul|com\d|lpt\d)(\.|$)/i.test(name))
    name = `output-${hash.slice(0, 12)}${extname(last).slice(0, 8)}`;
  let candidate = name;
  for (let n = 1; taken.has(candidate.toLowerCase()); n++) {
    const ext = extname(name);
    candidate = `${name.slice(0, name.length - ext.length)}-${n}${ext}`;
  }
  taken.add(candidate.toLowerCase());
  return candidate;
}
