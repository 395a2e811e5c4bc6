import { availableParallelism } from 'node:os';

/** Options of {@link Program.loadEach} and {@link Program.loadAll}. */
export interface LoadEachOptions {
  /**
   * Threads that verify programs at once: this one and `threads - 1` helper threads (Node worker
   * threads, started on first use and kept; they join a load once they are up, so
   * `startHelperThreads(threads)` ahead of the first load lets it use them, and
   * `stopHelperThreads()` ends them). An integer from 1 to 64. Default: the machine's available
   * parallelism, at most 4.
   */
  readonly threads?: number;
}

/** Options of {@link Program.loadEachAsync}. */
export interface LoadEachAsyncOptions {
  /**
   * Helper threads that load programs at once (this thread loads none): an integer from 1 to 64.
   * They are those of {@link LoadEachOptions.threads}. Default: the machine's available
   * parallelism, at most 4.
   */
  readonly concurrency?: number;
}

/** The default of {@link LoadEachOptions.threads} and {@link LoadEachAsyncOptions.concurrency}. */
export function defaultThreads(): number {
  return Math.min(availableParallelism(), 4);
}
