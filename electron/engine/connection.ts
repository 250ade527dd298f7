// The active profile's connection state: probed on start, on profile or key change, and periodically
// (backing off while offline). The WebSocket, when it exists, feeds its own state in through report().
import type { ConnectionState, ConnectionStateName } from '../../shared/contract';
import { connectionStateFor, type DetailedCheck } from './server-check';

export interface ConnectionMonitorOptions {
  /** The active profile's id, read at each probe. */
  activeProfileId: () => string;
  /** One check of that profile (server-check with its key). */
  probe: (profileId: string) => Promise<DetailedCheck>;
  onChange: (state: ConnectionState) => void;
  /** Interval between probes while online (default 15 s). */
  intervalMs?: number;
  /** Longest wait between probes while offline (default 2 min). */
  maxBackoffMs?: number;
  now?: () => number;
}

export class ConnectionMonitor {
  private current: ConnectionState;
  private readonly intervalMs: number;
  private readonly maxBackoffMs: number;
  private readonly now: () => number;
  private timer: NodeJS.Timeout | undefined;
  private failures = 0;
  private generation = 0;
  private running = false;
  private inFlight: Promise<void> | undefined;
  /** The waits chosen after each probe, newest last (kept short; for diagnostics and tests). */
  readonly delays: number[] = [];

  constructor(private readonly options: ConnectionMonitorOptions) {
    this.intervalMs = options.intervalMs ?? 15_000;
    this.maxBackoffMs = Math.max(options.maxBackoffMs ?? 120_000, this.intervalMs);
    this.now = options.now ?? Date.now;
    this.current = {
      profileId: options.activeProfileId(),
      state: 'connecting',
      message: 'Connecting…',
      since: this.now(),
    };
  }

  get state(): ConnectionState {
    return { ...this.current };
  }

  /** Start probing (the first probe runs now). */
  start(): Promise<void> {
    this.running = true;
    return this.restart();
  }

  stop(): void {
    this.running = false;
    this.generation++;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** The profile or its key changed: forget the old state, say "connecting", probe now. */
  restart(): Promise<void> {
    this.generation++;
    this.failures = 0;
    this.set({ profileId: this.options.activeProfileId(), state: 'connecting', message: 'Connecting…' });
    if (!this.running) return Promise.resolve(); // monitoring is off: no probe until start()
    return this.probeNow();
  }

  /** Probe now (keeps the current state until the answer comes). Resolves when the probe is done. */
  probeNow(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const generation = this.generation;
    const profileId = this.options.activeProfileId();
    const run = (async () => {
      let result: DetailedCheck;
      try {
        result = await this.options.probe(profileId);
      } catch (err) {
        result = {
          outcome: 'network',
          check: { ok: false, message: err instanceof Error ? err.message : String(err) },
        };
      }
      if (generation !== this.generation) return; // a newer restart (or stop) superseded this probe
      const state = connectionStateFor(result.outcome);
      this.failures = state === 'online' ? 0 : this.failures + 1;
      this.set({ profileId, state, message: result.check.message });
      this.schedule(state);
    })();
    this.inFlight = run;
    return run;
  }

  /** Another source (the WebSocket) knows better: take its state. */
  report(update: { state: ConnectionStateName; message: string; profileId?: string }): void {
    const profileId = update.profileId ?? this.options.activeProfileId();
    if (profileId !== this.options.activeProfileId()) return;
    if (update.state === 'online') this.failures = 0;
    this.set({ profileId, state: update.state, message: update.message });
  }

  /** For tests and shutdown: wait for a probe in flight. */
  async idle(): Promise<void> {
    await this.inFlight;
  }

  private schedule(state: ConnectionStateName): void {
    if (!this.running) return;
    if (state === 'no_key') return; // nothing to do until a key is set (restart() comes then)
    const delay =
      state === 'online'
        ? this.intervalMs
        : Math.min(this.maxBackoffMs, this.intervalMs * 2 ** Math.max(0, this.failures - 1));
    this.delays.push(delay);
    if (this.delays.length > 20) this.delays.shift();
    this.timer = setTimeout(() => void this.probeNow(), delay);
    this.timer.unref?.();
  }

  private set(next: Omit<ConnectionState, 'since'>): void {
    const c = this.current;
    if (c.profileId === next.profileId && c.state === next.state && c.message === next.message) return;
    this.current = { ...next, since: this.now() };
    this.options.onChange(this.state);
  }
}
