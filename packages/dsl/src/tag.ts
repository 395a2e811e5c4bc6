import { type ByteOrder, HOST_BYTE_ORDER } from '@ts-ebpf/uapi';
import { assemble } from './assemble.js';
import { toHex } from './hash.js';
import type { Instruction } from './instruction.js';
import { LD_IMM64, PseudoLd } from './opcodes.js';
import { sha1 } from './sha1.js';
import { sha256 } from './sha256.js';

/** Options of {@link programTag}. */
export interface TagOptions {
  /**
   * Digest the kernel uses: `'sha256'` since Linux 6.18 (program signing), `'sha1'` before.
   * Default `'sha256'`.
   */
  readonly hash?: 'sha1' | 'sha256';
  /**
   * Byte order of the instructions hashed (and of given bytes): the kernel hashes its own
   * in-memory copy, so the default is {@link HOST_BYTE_ORDER}.
   */
  readonly byteOrder?: ByteOrder;
}

/**
 * The kernel's program tag (as in `bpftool prog show` and `/proc/<pid>/fdinfo`): the first
 * 8 bytes of a digest over the instructions, with the immediates of map fd / map value
 * `ld_imm64` loads zeroed as `bpf_prog_calc_tag` does. Takes instructions (map names need
 * not be resolved) or already assembled bytes (any `Uint8Array` view; never written to).
 * Returns 16 hex digits.
 */
export function programTag(program: readonly Instruction[] | Uint8Array, options: TagOptions = {}): string {
  const byteOrder = options.byteOrder ?? HOST_BYTE_ORDER;
  const little = byteOrder === 'little';
  // a copy, never a view (a Node buffer's slice is one): the loop below zeroes immediates
  const bytes =
    program instanceof Uint8Array
      ? new Uint8Array(program)
      : assemble(program as readonly Instruction[], { maps: () => 0, byteOrder });
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let wasMapLoad = false;
  for (let p = 0; p < bytes.length; p += 8) {
    const src = little ? bytes[p + 1]! >> 4 : bytes[p + 1]! & 0x0f;
    if (!wasMapLoad && bytes[p] === LD_IMM64 && (src === PseudoLd.MAP_FD || src === PseudoLd.MAP_VALUE)) {
      wasMapLoad = true;
      view.setInt32(p + 4, 0, little);
    } else if (wasMapLoad && bytes[p] === 0 && bytes[p + 1] === 0 && view.getInt16(p + 2, little) === 0) {
      wasMapLoad = false;
      view.setInt32(p + 4, 0, little);
    } else {
      wasMapLoad = false;
    }
  }
  const digest = options.hash === 'sha1' ? sha1(bytes) : sha256(bytes);
  return toHex(digest.subarray(0, 8));
}

/** Number of instruction slots the program occupies (`ld_imm64` counts as two), as the kernel counts. */
export function instructionCount(program: readonly Instruction[]): number {
  let n = 0;
  for (const insn of program) n += insn.code === LD_IMM64 ? 2 : 1;
  return n;
}
