import { ElfError } from './errors.js';

// Reads that stay inside the file and give safe integers, or throw ElfError with the offset.

/** Largest high word of a 64-bit field that still makes a safe integer. */
const MAX_SAFE_HIGH = 0x1fffff;

/** Throws ElfError unless the `size` bytes at `offset` are inside the file; `what` names them. */
export function need(bytes: Uint8Array, offset: number, size: number, what: string): void {
  if (!Number.isSafeInteger(offset) || offset < 0 || offset + size > bytes.byteLength) {
    throw new ElfError(
      `truncated: ${what} needs ${size} bytes, past the end of the ${bytes.byteLength}-byte file`,
      offset,
    );
  }
}

/**
 * The unsigned 64-bit field at `at` of `v` as a number, read as two words (no BigInt).
 * @throws ElfError naming `what` (at file offset `fileOffset`) when it is not a safe integer
 */
export function safeU64(v: DataView, at: number, le: boolean, what: string, fileOffset: number): number {
  const low = v.getUint32(le ? at : at + 4, le);
  const high = v.getUint32(le ? at + 4 : at, le);
  if (high > MAX_SAFE_HIGH) throw new ElfError(`${what} is out of range`, fileOffset);
  return high * 0x1_0000_0000 + low;
}
