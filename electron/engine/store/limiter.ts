// A FIFO concurrency limiter: at most `limit` tasks run at once; the limit can change at runtime.
export interface Limiter {
  run<T>(task: () => Promise<T>): Promise<T>;
  setLimit(n: number): void;
  readonly active: number;
  readonly pending: number;
}

export function createLimiter(initial: number): Limiter {
  let limit = Math.max(1, Math.floor(initial));
  let active = 0;
  const queue: (() => void)[] = [];
  const next = (): void => {
    while (active < limit && queue.length > 0) {
      active += 1;
      queue.shift()!();
    }
  };
  return {
    run<T>(task: () => Promise<T>): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        queue.push(() => {
          task()
            .then(resolve, reject)
            .finally(() => {
              active -= 1;
              next();
            });
        });
        next();
      });
    },
    setLimit(n: number) {
      limit = Math.max(1, Math.floor(n));
      next();
    },
    get active() {
      return active;
    },
    get pending() {
      return queue.length;
    },
  };
}
