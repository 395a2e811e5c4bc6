import { EbpfError } from '@ts-ebpf/uapi';

/**
 * A map, program or script definition that cannot work, refused when it is defined (before
 * anything is created in the kernel). `subject` names what is wrong (`map 'counts'`,
 * `program 'count' attach`), `field` the option.
 */
export class DefinitionError extends EbpfError {
  /** What the definition is of: `map 'counts'`, `program 'count'`, `script`. */
  readonly subject: string;
  /** The option that is wrong (`maxEntries`, `attach.map` …). */
  readonly field: string;
  /**
   * @param subject - what is defined, as the message shows it
   * @param field - the option that is wrong
   * @param why - what is wrong with it
   * @param options - `cause`: an error this one wraps
   */
  constructor(subject: string, field: string, why: string, options?: { readonly cause?: unknown }) {
    super(`${subject}: ${field} ${why}`, options);
    this.subject = subject;
    this.field = field;
  }
}

/**
 * A script step failed (creating a map, loading or attaching a program), or closing the script
 * failed. `cause` is the first error (a `VerifierError`, `AttachError`, `ProbeUnsupportedError` …);
 * `cleanupErrors` are the errors met while undoing what had been created, in the order they
 * happened (empty when the cleanup was clean). Everything created had been closed (or tried)
 * when this is thrown.
 */
export class ScriptError extends EbpfError {
  /** The step that failed: `create map 'counts'`, `load program 'count'`, `attach program 'count'`, `close`. */
  readonly step: string;
  /** Errors of the cleanup that followed, each also wrapped as the `cause` chain's siblings. */
  readonly cleanupErrors: readonly unknown[];
  /**
   * @param step - the step that failed
   * @param cause - the first error
   * @param cleanupErrors - errors of the cleanup after it
   */
  constructor(step: string, cause: unknown, cleanupErrors: readonly unknown[] = []) {
    const first = cause instanceof Error ? cause.message : String(cause);
    const more = cleanupErrors.length
      ? `; cleanup failed ${cleanupErrors.length} time${cleanupErrors.length === 1 ? '' : 's'}: ${cleanupErrors
          .map((e) => (e instanceof Error ? e.message : String(e)))
          .join('; ')}`
      : '';
    super(`script: ${step} failed: ${first}${more}`, { cause });
    this.step = step;
    this.cleanupErrors = Object.freeze([...cleanupErrors]);
  }

  /** The first error followed by the cleanup errors, like `AggregateError.errors`. */
  get errors(): readonly unknown[] {
    return [this.cause, ...this.cleanupErrors];
  }
}
