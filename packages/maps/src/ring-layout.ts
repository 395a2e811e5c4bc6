import type { ReadOnlyBytes } from '@ts-ebpf/syscall';
import { HOST_LITTLE_ENDIAN } from '@ts-ebpf/uapi';

/** `BPF_RINGBUF_BUSY_BIT`: the record is reserved, not yet committed. */
export const BUSY = 0x80000000;
/** `BPF_RINGBUF_DISCARD_BIT`: the record was discarded. */
export const DISCARD = 0x40000000;
/** Record length bits of a ring buffer header word. */
export const LEN_MASK = 0x3fffffff;
// Functions here use this module-private copy: V8 reads an exported binding through its
// module cell (with an initialization check) even from inside its own module.
const HEADER_BYTES = 8;
/** `BPF_RINGBUF_HDR_SZ`: len u32 (with the flag bits) + pgoff u32. */
export const HEADER = HEADER_BYTES;
const TWO32 = 0x100000000;

// On weakly ordered CPUs a header must be read with acquire semantics (the kernel commits it
// with a release store) before the payload; there Atomics.load provides it. It is not inlined
// for non-shared memory (~18 ns a read on x64), so strongly ordered CPUs read plainly.
const ACQUIRE = !['x64', 'ia32', 's390x'].includes(process.arch);

/**
 * Reads word `index` of a ring mapping, with acquire ordering where the CPU needs it. Chosen
 * once here, so that each loop inlines a body without a branch.
 */
export const loadWord: (words: Uint32Array, index: number) => number = ACQUIRE
  ? (words, index) => Atomics.load(words, index)
  : (words, index) => words[index]!;

/** Space a record of `len` payload bytes takes: header + payload, rounded up to 8. */
export function recordSpan(len: number): number {
  return (len + HEADER_BYTES + 7) & ~7;
}

// Which u32 of a native u64 holds the low half (positions are u64 in host byte order).
const LOW = HOST_LITTLE_ENDIAN ? 0 : 1;
const HIGH = 1 - LOW;
/** Index of the low u32 half of a native u64 position in its word pair. */
export const POSITION_LOW = LOW;

/**
 * Writes word `index` of a ring's consumer page, as a release where the CPU needs one (so that
 * reads of the records it frees are done before the kernel can see the space as free).
 */
export const storeWord: (words: Uint32Array, index: number, value: number) => void = ACQUIRE
  ? (words, index, value) => {
      Atomics.store(words, index, value);
    }
  : (words, index, value) => {
      words[index] = value;
    };

/** Reads a u64 position that the kernel updates, as a number (retrying a torn read). */
export function readPosition(source: ReadOnlyBytes | Uint32Array, offset = 0): number {
  if (source instanceof Uint32Array) {
    const i = offset / 4;
    for (;;) {
      const hi = loadWord(source, i + HIGH);
      const lo = loadWord(source, i + LOW);
      if (loadWord(source, i + HIGH) === hi) return lo + hi * TWO32;
    }
  }
  for (;;) {
    const hi = source.getUint32(offset + 4 * HIGH, HOST_LITTLE_ENDIAN);
    const lo = source.getUint32(offset + 4 * LOW, HOST_LITTLE_ENDIAN);
    if (source.getUint32(offset + 4 * HIGH, HOST_LITTLE_ENDIAN) === hi) return lo + hi * TWO32;
  }
}

/** The first position above `pos` whose high u32 half differs from `pos`'s. */
export function nextHigh(pos: number): number {
  return (Math.floor(pos / TWO32) + 1) * TWO32;
}

/** The low u32 half of an integer `x` (negative too) as an int32. */
export function low32(x: number): number {
  return (x - Math.floor(x / TWO32) * TWO32) | 0;
}

/**
 * Publishes a u64 position as two u32 halves of a native u64 at `halves[index]`. Every
 * intermediate value the kernel may see is at or behind `pos`: one 32-bit store while the high
 * half is unchanged; on a 4 GiB crossing the low half goes to 0 first. The last store is a
 * release where the CPU needs one, so reads of the records it frees are done before the kernel
 * can see the space as free.
 */
export function writePosition(halves: Uint32Array, index: number, pos: number): void {
  const hi = Math.floor(pos / TWO32);
  if (halves[index + HIGH] !== hi) {
    halves[index + LOW] = 0;
    halves[index + HIGH] = hi;
  }
  storeWord(halves, index + LOW, pos - hi * TWO32);
}
