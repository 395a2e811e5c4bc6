import { ScriptError } from './errors.js';

/**
 * What a script created, closed in reverse order of creation: every closer runs even when an
 * earlier one throws, and the errors are handed back in the order they happened.
 */
export class Teardown {
  readonly #closers: { close: () => void; onFailureOnly: boolean }[] = [];

  /** Registers the closer of something just created. */
  push(close: () => void): void {
    this.#closers.push({ close, onFailureOnly: false });
  }

  /**
   * Registers an undo that runs only when the script fails while being made (a pin the script
   * created: it outlives a script that was made and closed, as pins are meant to).
   */
  pushOnFailure(undo: () => void): void {
    this.#closers.push({ close: undo, onFailureOnly: true });
  }

  /**
   * Runs every closer, last first, once (with `failed`, the failure-only undos too); returns
   * the errors they threw.
   */
  run(failed: boolean): unknown[] {
    const errors: unknown[] = [];
    for (let step = this.#closers.pop(); step; step = this.#closers.pop()) {
      if (step.onFailureOnly && !failed) continue;
      try {
        step.close();
      } catch (e) {
        errors.push(e);
      }
    }
    return errors;
  }

  /**
   * Closes a script that was made: every closer but the failure-only undos, once.
   * @throws ScriptError (step `'close'`) with the first error as `cause`, the others in `cleanupErrors`
   */
  close(): void {
    const [first, ...rest] = this.run(false);
    if (first !== undefined) throw new ScriptError('close', first, rest);
  }
}
