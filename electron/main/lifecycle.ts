// Quitting waits for the engine: in-flight journal writes and downloads reach a safe point (the
// engine's close) before the process exits. The first will-quit is held, the second goes through.
import { app } from 'electron';

/** A close that hangs must not keep the app open for ever: the journal is safe after a crash anyway. */
export const QUIT_TIMEOUT_MS = 10_000;

export function quitAfter(
  close: () => Promise<void>,
  onError: (err: unknown) => void,
  timeoutMs = QUIT_TIMEOUT_MS,
): void {
  let phase: 'running' | 'closing' | 'closed' = 'running';
  app.on('will-quit', (event) => {
    if (phase === 'closed') return;
    event.preventDefault();
    if (phase === 'closing') return;
    phase = 'closing';
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        onError(new Error(`the engine did not close within ${timeoutMs} ms; quitting anyway`));
        resolve();
      }, timeoutMs);
    });
    Promise.race([close(), timeout])
      .catch(onError)
      .finally(() => {
        clearTimeout(timer);
        phase = 'closed';
        app.quit();
      });
  });
}
