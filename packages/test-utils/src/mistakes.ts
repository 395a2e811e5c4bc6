import { EbpfError } from '@ts-ebpf/uapi';
import { expect, it } from 'vitest';
import { leakedFds, openFds } from './fds.js';

/**
 * One plausible user mistake for the error catalog: what the user does, the error class it must
 * raise, and words the message must contain to name the offending thing.
 */
export interface Mistake {
  /** What the user did wrong, in a few words (the test's name). */
  readonly what: string;
  /** Does the wrong thing; may be async. Objects it opens on the way are its to close. */
  readonly act: () => unknown;
  /** The class the error must be an instance of (a subclass of `EbpfError`). */
  readonly error: abstract new (
    ...args: never[]
  ) => EbpfError;
  /** Each must occur in the message: the subject (map name, interface, section, field …). */
  readonly names: readonly (string | RegExp)[];
  /** A class the error's `cause` must be an instance of, when the error wraps another. */
  readonly cause?: abstract new (
    ...args: never[]
  ) => Error;
  /** Skip with this reason when the precondition is missing (a kernel feature absent here). */
  readonly skip?: () => string | undefined;
}

/**
 * Registers one test per mistake: the error has the expected class, derives from `EbpfError`,
 * names its subject, and no file descriptor is left open afterwards.
 */
export function catalog(mistakes: readonly Mistake[]): void {
  for (const m of mistakes) {
    it(m.what, async (ctx) => {
      const reason = m.skip?.();
      if (reason) ctx.skip(reason);
      const before = openFds();
      let thrown: unknown;
      try {
        await m.act();
      } catch (e) {
        thrown = e;
      }
      expect(thrown, `${m.what}: no error was thrown`).toBeInstanceOf(m.error);
      expect(thrown).toBeInstanceOf(EbpfError);
      const message = (thrown as Error).message;
      for (const n of m.names) {
        if (typeof n === 'string') expect(message).toContain(n);
        else expect(message).toMatch(n);
      }
      if (m.cause) expect((thrown as Error).cause).toBeInstanceOf(m.cause);
      expect(leakedFds(before)).toEqual([]);
    });
  }
}
