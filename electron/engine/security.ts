// The renderer's Content-Security-Policy, one string for Electron's session headers and the host.
// It matches the meta tag in renderer/index.html: no inline script or style, no remote origins.
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob: desk-media:",
  "media-src 'self' blob: desk-media:",
  "font-src 'self'",
  // Electron's window talks over IPC, and reads stored files' bytes from desk-media: (the difference
  // view's worker, "copy image"); the headless host narrows this to itself and its bridge socket.
  "connect-src 'self' desk-media:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');
