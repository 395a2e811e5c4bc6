/**
 * @internal Copies of a hot loop, each with its own V8 type feedback.
 *
 * V8 optimizes a function for what its call sites saw: a loop that calls `codec.read(...)` and
 * `cb(event)` inlines both while it has only ever seen one codec and one callback. All closures
 * made from one function literal share that feedback, so one reader's drain decoding two event
 * structs (or two readers decoding different ones) makes both call sites megamorphic: no
 * inlining, and every decoded object is allocated even when the callback only reads a field
 * (measured at 64-byte records: 8.5 ns a record monomorphic, 25 ns once a second codec and
 * callback were seen). A copy compiled from the function's own text per codec and reader form
 * keeps those sites monomorphic for an application that decodes each event type one way
 * (callers sharing a codec object and form share a copy).
 *
 * The function copied must have no free variables: it reads everything it uses from its
 * parameters (module helpers arrive as one argument), so that its text means the same wherever
 * it is compiled, also after a bundler renamed the module's bindings. It must not contain
 * nested functions either (a bundler's `keepNames` wraps those in a helper call).
 *
 * Where code cannot be made from strings (a `--disallow-code-generation-from-strings` process)
 * the function itself is used: the same results, with the shared feedback.
 */

let copies = 0;

/**
 * Makes a copy of `fn` compiled from its text, named `name` in profiles and stack traces
 * (`ts-ebpf:<name>#<n>`), or returns `fn` where code generation from strings is disallowed.
 */
export function feedbackCopy<F extends (...args: never[]) => unknown>(fn: F, name: string): F {
  // Each copy's text differs (its sourceURL), so V8's compilation cache cannot hand back an
  // earlier copy with its feedback.
  const source = `"use strict"; return (${fn.toString()});\n//# sourceURL=ts-ebpf:${name}#${++copies}`;
  try {
    return new Function(source)() as F;
  } catch (error) {
    if (error instanceof EvalError) return fn;
    throw error;
  }
}

/**
 * Copies of `fn` made on demand, one per key object and slot (a codec, and which reader form
 * runs it), held while the key lives.
 */
export class FeedbackCopies<K extends object, F extends (...args: never[]) => unknown> {
  readonly #fn: F;
  readonly #name: string;
  readonly #slots: number;
  readonly #byKey = new WeakMap<K, (F | undefined)[]>();

  constructor(fn: F, name: string, slots: number) {
    this.#fn = fn;
    this.#name = name;
    this.#slots = slots;
  }

  /** The copy of key `key`'s slot `slot` (made at its first use). */
  get(key: K, slot: number): F {
    let held = this.#byKey.get(key);
    if (held === undefined) {
      held = new Array<F | undefined>(this.#slots).fill(undefined);
      this.#byKey.set(key, held);
    }
    let copy = held[slot];
    if (copy === undefined) {
      copy = feedbackCopy(this.#fn, this.#name);
      held[slot] = copy;
    }
    return copy;
  }
}
