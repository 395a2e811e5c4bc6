/**
 * The base class of every error a ts-ebpf package throws. Catch it to catch them all;
 * catch a subclass (`BpfSyscallError`, `VerifierError`, `ElfError`, `CodecError` …) to
 * handle one cause. An error that wraps another carries it as `cause`.
 */
export class EbpfError extends Error {
  /**
   * @param message - what went wrong, naming its subject (the map, the section, the field)
   * @param options - `cause`: the error this one wraps
   */
  constructor(message: string, options?: { readonly cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}
