/**
 * What a script created, closed in reverse order of creation: every closer runs even when an
 * earlier one throws, and the errors are handed back in the order they happened.
 */
export class Teardown {
  readonly #closers: (() => void)[] = [];

  /** Registers the closer of something just created. */
  push(close: () => void): void {
    this.#closers.push(close);
  }

  /** Runs every closer, last first, once; returns the errors they threw. */
  run(): unknown[] {
    const errors: unknown[] = [];
    for (let close = this.#closers.pop(); close; close = this.#closers.pop()) {
      try {
        close();
      } catch (e) {
        errors.push(e);
      }
    }
    return errors;
  }
}
