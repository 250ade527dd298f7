// What a file is, from its first bytes: the server's name and Content-Type are not trusted.
export function sniffMime(head: Uint8Array): string {
  const ascii = (start: number, length: number): string => String.fromCharCode(...head.subarray(start, start + length));
  if (head[0] === 0x89 && ascii(1, 3) === 'PNG') return 'image/png';
  if (head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) return 'image/jpeg';
  if (ascii(0, 4) === 'RIFF' && ascii(8, 4) === 'WEBP') return 'image/webp';
  if (ascii(0, 4) === 'RIFF' && ascii(8, 4) === 'WAVE') return 'audio/wav';
  if (ascii(0, 4) === 'GIF8') return 'image/gif';
  if (ascii(4, 4) === 'ftyp') return ascii(8, 2) === 'qt' ? 'video/quicktime' : 'video/mp4';
  if (head[0] === 0x1a && head[1] === 0x45 && head[2] === 0xdf && head[3] === 0xa3) return 'video/webm';
  if (ascii(0, 3) === 'ID3' || (head[0] === 0xff && ((head[1] ?? 0) & 0xe0) === 0xe0)) return 'audio/mpeg';
  if (ascii(0, 4) === 'fLaC') return 'audio/flac';
  if (ascii(0, 4) === 'OggS') return 'audio/ogg';
  if (ascii(0, 4) === 'PK\u0003\u0004') return 'application/zip';
  return 'application/octet-stream';
}
