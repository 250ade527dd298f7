// Quit waits for the engine's close (journal writes and downloads at a safe point), then goes through.
import { afterEach, beforeEach, expect, it, vi } from 'vitest';
vi.mock('electron', () => import('./fake-electron'));
import * as electron from './fake-electron';
import { quitAfter } from '../../../electron/main/lifecycle';

beforeEach(() => electron.resetElectron());
afterEach(() => vi.useRealTimers());

it('the first quit is held until the engine has closed, then the app quits', async () => {
  let finish!: () => void;
  const close = vi.fn(() => new Promise<void>((resolve) => (finish = resolve)));
  const quit = vi.fn();
  quitAfter(close, vi.fn());
  electron.app.on('quit', quit);
  electron.app.quit();
  electron.app.quit(); // a second Cmd+Q while closing changes nothing
  expect(close).toHaveBeenCalledOnce();
  expect(quit).not.toHaveBeenCalled();
  finish();
  await vi.waitFor(() => expect(quit).toHaveBeenCalledOnce());
  expect(electron.app.quitCalls).toBe(3);
});

it('a close that fails is reported and the app still quits', async () => {
  const onError = vi.fn();
  const quit = vi.fn();
  quitAfter(() => Promise.reject(new Error('disk gone')), onError);
  electron.app.on('quit', quit);
  electron.app.quit();
  await vi.waitFor(() => expect(quit).toHaveBeenCalledOnce());
  expect(onError).toHaveBeenCalledWith(expect.objectContaining({ message: 'disk gone' }));
});

it('a close that hangs does not keep the app open for ever', async () => {
  vi.useFakeTimers();
  const onError = vi.fn();
  const quit = vi.fn();
  quitAfter(() => new Promise<void>(() => {}), onError, 5_000);
  electron.app.on('quit', quit);
  electron.app.quit();
  await vi.advanceTimersByTimeAsync(4_999);
  expect(quit).not.toHaveBeenCalled();
  await vi.advanceTimersByTimeAsync(1);
  expect(quit).toHaveBeenCalledOnce();
  expect(onError).toHaveBeenCalledOnce();
});
