import { add, call, FP, type Fragment, mov, R1, R2, R3, R4, R5, type Register } from '@ts-ebpf/dsl';
import type { TcActionLike } from './action.js';
import { TC_CTX } from './context.js';
import { TcArgumentError } from './errors.js';
import { returnOnFailure, setArg, type Value } from './operand.js';

/** Options every skb helper fragment takes. */
export interface SkbHelperOptions {
  /** The register holding the context (default {@link TC_CTX}). */
  readonly ctx?: Register;
  /** Return this action from the program when the helper fails; otherwise R0 holds its result (0 on success). */
  readonly onFailure?: TcActionLike;
}

/** Options of {@link loadBytes} and {@link storeBytes}. */
export interface SkbBytesOptions extends SkbHelperOptions {
  /**
   * Offset in the packet (a constant or a register), counted from `data` (the MAC header on
   * tc). The helpers take a u32 up to 2^31 - 1 (a negative offset fails with EFAULT): a
   * negative constant is refused.
   */
  readonly offset: Value;
  /** The stack buffer: its offset from the frame pointer (negative, e.g. `-16`). */
  readonly stack: number;
  /** How many bytes (a constant: the verifier must know the buffer size). */
  readonly length: number;
}

/** Options of {@link storeBytes}. */
export interface SkbStoreOptions extends SkbBytesOptions {
  /** BPF_F_RECOMPUTE_CSUM: update `skb->csum` for a CHECKSUM_COMPLETE packet. */
  readonly recomputeCsum?: boolean;
  /** BPF_F_INVALIDATE_HASH: clear `skb->hash`. */
  readonly invalidateHash?: boolean;
}

// linux/bpf.h: flags of bpf_skb_store_bytes and of the checksum helpers.
const F_RECOMPUTE_CSUM = 1;
const F_INVALIDATE_HASH = 2;
const F_PSEUDO_HDR = 0x10;
const F_MARK_MANGLED_0 = 0x20;

function stackBuffer(helper: string, o: SkbBytesOptions): Fragment {
  if (typeof o.offset === 'number' && o.offset < 0)
    throw new TcArgumentError(
      `${helper} offset`,
      `${o.offset} is negative (the helper takes it as a u32 above 2^31 - 1 and fails with EFAULT)`,
    );
  if (!Number.isInteger(o.length) || o.length <= 0)
    throw new TcArgumentError(`${helper} length`, `${o.length} is not a positive integer`);
  if (!Number.isInteger(o.stack) || o.stack + o.length > 0 || o.stack < -512)
    throw new TcArgumentError(
      `${helper} stack`,
      `${o.stack}..${o.stack + o.length} is not inside the 512-byte stack (r10-512 .. r10)`,
    );
  return [...setArg(R2, o.offset, `${helper} offset`), mov(R3, FP), add(R3, o.stack), mov(R4, o.length)];
}

function finish(helper: string, o: SkbHelperOptions): Fragment {
  return [...setArg(R1, o.ctx ?? TC_CTX, 'ctx'), call(helper), ...returnOnFailure(o.onFailure, helper)];
}

/**
 * `bpf_skb_load_bytes(skb, offset, r10 + stack, length)`: copies packet bytes to the stack,
 * also from the non-linear part direct packet access cannot reach. Clobbers R1–R5.
 */
export function loadBytes(options: SkbBytesOptions): Fragment {
  return [...stackBuffer('skb_load_bytes', options), ...finish('skb_load_bytes', options)];
}

/**
 * `bpf_skb_store_bytes(skb, offset, r10 + stack, length, flags)`: copies stack bytes into the
 * packet. Packet pointers loaded before are invalid afterwards. Clobbers R1–R5.
 */
export function storeBytes(options: SkbStoreOptions): Fragment {
  const flags =
    (options.recomputeCsum ? F_RECOMPUTE_CSUM : 0) | (options.invalidateHash ? F_INVALIDATE_HASH : 0);
  return [...stackBuffer('skb_store_bytes', options), mov(R5, flags), ...finish('skb_store_bytes', options)];
}

/** Options of {@link l3CsumReplace}. */
export interface L3CsumOptions extends SkbHelperOptions {
  /**
   * Offset of the checksum field in the packet (e.g. IPv4 header offset + 10). The helpers
   * take an even offset up to 65535 (any other fails with EFAULT): a constant that is not is
   * refused.
   */
  readonly offset: Value;
  /** The old value, as the packet held it (a raw load, network order). */
  readonly from: Value;
  /** The new value, as the packet holds it now. */
  readonly to: Value;
  /** Width of `from` and `to`: 2 or 4 bytes; 0 when `to` is a `bpf_csum_diff` result. */
  readonly size: 0 | 2 | 4;
}

/** Options of {@link l4CsumReplace}. */
export interface L4CsumOptions extends L3CsumOptions {
  /** BPF_F_PSEUDO_HDR: the changed value is part of the pseudo-header (an IP address). */
  readonly pseudoHeader?: boolean;
  /** BPF_F_MARK_MANGLED_0: leave a zero UDP checksum alone, write CSUM_MANGLED_0 for a result of 0. */
  readonly markMangled0?: boolean;
}

function checkSize(helper: string, size: number): void {
  if (size !== 0 && size !== 2 && size !== 4)
    throw new TcArgumentError(`${helper} size`, `${size} is not 0, 2 or 4`);
}

/** The largest checksum offset bpf_l3_csum_replace and bpf_l4_csum_replace take (net/core/filter.c). */
const MAX_CSUM_OFFSET = 0xffff;

function csum(helper: string, o: L3CsumOptions, flags: number): Fragment {
  const at = o.offset;
  if (typeof at === 'number' && (at < 0 || at > MAX_CSUM_OFFSET || at % 2 !== 0))
    throw new TcArgumentError(
      `${helper} offset`,
      `${at} is not an even offset in 0..${MAX_CSUM_OFFSET} (the helper fails with EFAULT for any other)`,
    );
  return [
    ...setArg(R2, o.offset, `${helper} offset`),
    ...setArg(R3, o.from, `${helper} from`),
    ...setArg(R4, o.to, `${helper} to`),
    mov(R5, flags),
    ...finish(helper, o),
  ];
}

/**
 * `bpf_l3_csum_replace(skb, offset, from, to, size)`: fixes the IP header checksum at
 * `offset` after a field changed from `from` to `to`. Clobbers R1–R5 and invalidates packet
 * pointers. Give `from` and `to` in R6–R9 or as constants: R2–R4 are its own arguments.
 */
export function l3CsumReplace(options: L3CsumOptions): Fragment {
  checkSize('l3_csum_replace', options.size);
  return csum('l3_csum_replace', options, options.size);
}

/**
 * `bpf_l4_csum_replace(skb, offset, from, to, flags)`: fixes a TCP or UDP checksum at
 * `offset`; `pseudoHeader` when an address changed. Clobbers R1–R5 and invalidates packet
 * pointers.
 */
export function l4CsumReplace(options: L4CsumOptions): Fragment {
  checkSize('l4_csum_replace', options.size);
  const flags =
    options.size | (options.pseudoHeader ? F_PSEUDO_HDR : 0) | (options.markMangled0 ? F_MARK_MANGLED_0 : 0);
  return csum('l4_csum_replace', options, flags);
}

function change(helper: 'skb_change_head' | 'skb_change_tail', length: Value, o: SkbHelperOptions): Fragment {
  if (typeof length === 'number' && (!Number.isInteger(length) || length < 0))
    throw new TcArgumentError(`${helper} length`, `${length} is not a byte count`);
  return [...setArg(R2, length, `${helper} length`), mov(R3, 0), ...finish(helper, o)];
}

/**
 * `bpf_skb_change_head(skb, length, 0)`: makes `length` bytes of room in front of the packet
 * (for a new L2 header; the MAC header moves with it). Packet pointers are invalid
 * afterwards. Clobbers R1–R5.
 */
export function changeHead(length: Value, options: SkbHelperOptions = {}): Fragment {
  return change('skb_change_head', length, options);
}

/**
 * `bpf_skb_change_tail(skb, length, 0)`: makes the packet `length` bytes long (trims or
 * zero-extends). Packet pointers are invalid afterwards. Clobbers R1–R5.
 */
export function changeTail(length: Value, options: SkbHelperOptions = {}): Fragment {
  return change('skb_change_tail', length, options);
}
