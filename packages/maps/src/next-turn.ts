/**
 * @internal A call of `fn` on the next turn of the event loop (`setImmediate`), scheduled at
 * most once at a time: scheduling again while a call is pending does nothing. A reader's
 * wake-ups use it to go on with records left after a turn, without starting a second chain of
 * turns when the poller wakes them meanwhile.
 */
export class NextTurn {
  readonly #fn: () => void;
  #handle: NodeJS.Immediate | undefined;

  constructor(fn: () => void) {
    this.#fn = fn;
  }

  /** True while a call is scheduled and has not run yet. */
  get scheduled(): boolean {
    return this.#handle !== undefined;
  }

  /** Schedules the call, unless one is scheduled already. */
  schedule(): void {
    if (this.#handle === undefined) this.#handle = setImmediate(this.#run);
  }

  /** Drops the scheduled call, if any; idempotent. */
  cancel(): void {
    if (this.#handle !== undefined) clearImmediate(this.#handle);
    this.#handle = undefined;
  }

  readonly #run = (): void => {
    this.#handle = undefined;
    this.#fn();
  };
}
