// The renderer's Content-Security-Policy, one string for Electron's session headers and the host.
// It matches the meta tag in renderer/index.html: no inline script or style, no remote origins.
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob: desk-media:",
  "media-src 'self' blob: desk-media:",
  "font-src 'self'",
  // Electron's window talks over IPC only; the headless host narrows this to its own bridge socket.
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');
