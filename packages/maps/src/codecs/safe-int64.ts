import { describeValue } from '@ts-ebpf/uapi';
import { CodecError } from '../errors.js';
import type { Codec } from './codec.js';
import { readError } from './read-path.js';

const TWO32 = 0x100000000;
// The largest high half of a u64 whose value is a safe integer (≤ 2^53 - 1): 2^21 - 1.
const MAX_SAFE_HIGH = 0x1fffff;

/**
 * What a number-valued 64-bit codec throws reading a value a JS number cannot hold exactly (above
 * `Number.MAX_SAFE_INTEGER`, 2^53 - 1, or below its negative), never a rounded value: an error about
 * the whole value (its `field` names the codec), or about the struct field `field` (its path, with
 * the codec first in the message: `seq: u64AsNumber: …`).
 */
function unsafeRead(
  codec: string,
  field: string | undefined,
  value: bigint,
  bigintCodec: string,
): CodecError {
  const detail = `${value} is outside Number.MAX_SAFE_INTEGER (±(2^53 - 1)) and cannot be a number without losing precision: decode it with ${bigintCodec} (a bigint)`;
  return field === undefined ? new CodecError(codec, detail) : readError(field, `${codec}: ${detail}`);
}

/**
 * @internal Reads a u64 as a number from its two 32-bit halves, or throws a CodecError naming
 * `field` (a struct field), or the codec.
 */
export function readU64AsNumber(d: DataView, o: number, le: boolean, field?: string): number {
  // Each byte order's reads at plain offsets, not `d.getUint32(le ? o + 4 : o, le)`: TurboFan
  // (Node 20's V8) left a getter whose offset is a conditional as a call to its builtin, which
  // made a struct with a u64AsNumber field decode at twice the cost of one with a bigint u64.
  let lo: number;
  let hi: number;
  if (le) {
    lo = d.getUint32(o, true);
    hi = d.getUint32(o + 4, true);
  } else {
    hi = d.getUint32(o, false);
    lo = d.getUint32(o + 4, false);
  }
  if (hi > MAX_SAFE_HIGH) throw unsafeRead('u64AsNumber', field, (BigInt(hi) << 32n) | BigInt(lo), 'u64');
  return hi * TWO32 + lo;
}

/** @internal Reads an i64 as a number from its two 32-bit halves, or throws (see readU64AsNumber). */
export function readI64AsNumber(d: DataView, o: number, le: boolean, field?: string): number {
  // plain offsets per byte order (see readU64AsNumber)
  let lo: number;
  let hi: number;
  if (le) {
    lo = d.getUint32(o, true);
    hi = d.getInt32(o + 4, true);
  } else {
    hi = d.getInt32(o, false);
    lo = d.getUint32(o + 4, false);
  }
  // exact when it is safe; any value outside the safe range rounds to at least 2^53 in size
  const v = hi * TWO32 + lo;
  if (!Number.isSafeInteger(v))
    throw unsafeRead('i64AsNumber', field, (BigInt(hi) << 32n) | BigInt(lo), 'i64');
  return v;
}

function int64AsNumber(name: string, signed: boolean): Codec<number> {
  const min = signed ? Number.MIN_SAFE_INTEGER : 0;
  const read = signed ? readI64AsNumber : readU64AsNumber;
  return {
    name,
    size: 8,
    align: 8,
    write: (d, o, v, p, order) => {
      if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) {
        throw new CodecError(
          p,
          `${describeValue(v)} does not fit ${name} (an integer in ${min}..${Number.MAX_SAFE_INTEGER}; larger values need the bigint codec ${signed ? 'i64' : 'u64'})`,
        );
      }
      const hi = Math.floor(v / TWO32);
      const lo = v - hi * TWO32;
      // plain offsets per byte order (see readU64AsNumber): a conditional offset left each
      // setter a call to its builtin
      if (order === 'little') {
        d.setUint32(o, lo, true);
        d.setUint32(o + 4, hi >>> 0, true);
      } else {
        d.setUint32(o, hi >>> 0, false);
        d.setUint32(o + 4, lo, false);
      }
    },
    read: (d, o, order) => read(d, o, order === 'little'),
  };
}

/**
 * An unsigned 64-bit integer as a JS number, for values known to stay at most
 * `Number.MAX_SAFE_INTEGER` (2^53 - 1): counters, sizes, ids, a pid/tgid pair — where decoding to
 * a bigint ({@link u64}) costs an allocation per value. Reading a larger value throws a
 * `CodecError` naming the value (it is never rounded); writing anything but a safe non-negative
 * integer throws too. Same layout as {@link u64}. Mind the range: a `bpf_ktime_get_ns()`
 * timestamp passes 2^53 after 104 days of uptime (decode those with `u64`, or subtract a base
 * in the program).
 *
 * @example
 * ```ts
 * const event = struct({ ts: u64AsNumber, pid: u32, tid: u32 });
 * ring.onEvent(event, (ev) => console.log(ev.ts - start)); // plain number arithmetic
 * ```
 */
export const u64AsNumber: Codec<number> = int64AsNumber('u64AsNumber', false);

/**
 * A signed 64-bit integer as a JS number, for values within ±`Number.MAX_SAFE_INTEGER`
 * (±(2^53 - 1)); outside it, reading throws a `CodecError` naming the value (never a rounded
 * number). Same layout as {@link i64}.
 */
export const i64AsNumber: Codec<number> = int64AsNumber('i64AsNumber', true);
