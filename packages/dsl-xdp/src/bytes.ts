import { add, call, FP, type Fragment, mov, R1, R2, R3, R4, type Register } from '@ts-ebpf/dsl';
import type { XdpActionLike } from './action.js';
import { XDP_CTX } from './context.js';
import { XdpArgumentError } from './errors.js';
import { returnOnFailure } from './on-failure.js';
import { setArg, type Value } from './operand.js';

/** Options of {@link loadBytes} and {@link storeBytes}. */
export interface PacketBytesOptions {
  /**
   * Offset in the packet (a constant or a register), counted from `data`, across fragments.
   * The helpers take 0–65535 (any other offset fails with EFAULT): a constant outside that
   * range is refused.
   */
  readonly offset: Value;
  /** The stack buffer: its offset from the frame pointer (negative, e.g. `-16`). */
  readonly stack: number;
  /** How many bytes (a constant: the verifier must know the buffer size). */
  readonly length: number;
  /** The register holding the context (default {@link XDP_CTX}). */
  readonly ctx?: Register;
  /** Return this action when the helper fails (offset beyond the packet); otherwise R0 holds its result. */
  readonly onFailure?: XdpActionLike;
}

/** The largest offset bpf_xdp_load_bytes and bpf_xdp_store_bytes take (net/core/filter.c: 0xffff). */
const MAX_OFFSET = 0xffff;

function bytes(helper: 'xdp_load_bytes' | 'xdp_store_bytes', o: PacketBytesOptions): Fragment {
  if (typeof o.offset === 'number' && (o.offset < 0 || o.offset > MAX_OFFSET))
    throw new XdpArgumentError(
      `${helper} offset`,
      `${o.offset} is outside 0..${MAX_OFFSET} (the helper fails with EFAULT for any other offset)`,
    );
  if (!Number.isInteger(o.length) || o.length <= 0)
    throw new XdpArgumentError(`${helper} length`, `${o.length} is not a positive integer`);
  if (!Number.isInteger(o.stack) || o.stack + o.length > 0 || o.stack < -512)
    throw new XdpArgumentError(
      `${helper} stack`,
      `${o.stack}..${o.stack + o.length} is not inside the 512-byte stack (r10-512 .. r10)`,
    );
  return [
    ...setArg(R2, o.offset, `${helper} offset`),
    mov(R3, FP),
    add(R3, o.stack),
    mov(R4, o.length),
    ...setArg(R1, o.ctx ?? XDP_CTX, 'ctx'),
    call(helper),
    ...returnOnFailure(o.onFailure, helper),
  ];
}

/**
 * `bpf_xdp_load_bytes(ctx, offset, r10 + stack, length)`: copies packet bytes to the stack,
 * across the fragments of a multi-buffer packet (sections `xdp.frags`). Clobbers R1–R5.
 */
export function loadBytes(options: PacketBytesOptions): Fragment {
  return bytes('xdp_load_bytes', options);
}

/**
 * `bpf_xdp_store_bytes(ctx, offset, r10 + stack, length)`: copies stack bytes into the packet,
 * across fragments. Clobbers R1–R5.
 */
export function storeBytes(options: PacketBytesOptions): Fragment {
  return bytes('xdp_store_bytes', options);
}
