/** Marks every EbpfError, whichever copy of this module (ESM or CJS build) made it. */
const BRAND: unique symbol = Symbol.for('@ts-ebpf/uapi:EbpfError') as never;

/**
 * The base class of every error a ts-ebpf package throws. Catch it to catch them all;
 * catch a subclass (`BpfSyscallError`, `VerifierError`, `ElfError`, `CodecError` …) to
 * handle one cause. An error that wraps another carries it as `cause`.
 *
 * `instanceof EbpfError` holds across the package's ESM and CJS builds (a program that both
 * imports and requires ts-ebpf packages loads two copies of this class): it checks a brand,
 * not the prototype chain. Subclasses are checked by prototype chain as usual.
 */
export class EbpfError extends Error {
  /** Always true: the brand `instanceof EbpfError` checks. */
  readonly [BRAND] = true;

  /**
   * @param message - what went wrong, naming its subject (the map, the section, the field)
   * @param options - `cause`: the error this one wraps
   */
  constructor(message: string, options?: { readonly cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }

  /** `value instanceof EbpfError`: by brand for EbpfError itself, by prototype for subclasses. */
  static override [Symbol.hasInstance](value: unknown): boolean {
    // biome-ignore lint/complexity/noThisInStatic: `this` is the class asked about: EbpfError or a subclass
    if (this === EbpfError) {
      return typeof value === 'object' && value !== null && (value as { [BRAND]?: unknown })[BRAND] === true;
    }
    // biome-ignore lint/complexity/noThisInStatic: a subclass is checked by its own prototype chain
    return Function.prototype[Symbol.hasInstance].call(this, value);
  }
}
