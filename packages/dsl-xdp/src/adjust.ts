import { call, type Fragment, R1, R2, type Register } from '@ts-ebpf/dsl';
import type { XdpActionLike } from './action.js';
import { returnOnFailure } from './on-failure.js';
import { setArg, type Value } from './operand.js';
import { XDP_CTX } from './plugin.js';

/** Options of the adjust fragments. */
export interface AdjustOptions {
  /** The register holding the context (default {@link XDP_CTX}). */
  readonly ctx?: Register;
  /** Return this action from the program when the helper fails; otherwise R0 holds its result (0 on success). */
  readonly onFailure?: XdpActionLike;
}

type AdjustHelper = 'xdp_adjust_head' | 'xdp_adjust_tail' | 'xdp_adjust_meta';

function adjust(helper: AdjustHelper, delta: Value, o: AdjustOptions): Fragment {
  return [
    ...setArg(R2, delta, `${helper} delta`),
    ...setArg(R1, o.ctx ?? XDP_CTX, 'ctx'),
    call(helper),
    ...returnOnFailure(o.onFailure, helper),
  ];
}

/**
 * `bpf_xdp_adjust_head(ctx, delta)`: moves the packet start by `delta` bytes (negative grows
 * the packet at the front, for a new header; positive strips bytes). Every packet pointer
 * loaded before is invalid afterwards: load `data` and `data_end` again. Clobbers R1–R5.
 */
export function adjustHead(delta: Value, options: AdjustOptions = {}): Fragment {
  return adjust('xdp_adjust_head', delta, options);
}

/**
 * `bpf_xdp_adjust_tail(ctx, delta)`: moves the packet end by `delta` bytes (negative trims,
 * positive grows into the tailroom). Packet pointers are invalid afterwards. Clobbers R1–R5.
 */
export function adjustTail(delta: Value, options: AdjustOptions = {}): Fragment {
  return adjust('xdp_adjust_tail', delta, options);
}

/**
 * `bpf_xdp_adjust_meta(ctx, delta)`: moves the metadata start by `delta` bytes (negative
 * makes room for metadata before the packet, which `data_meta` then points at). Packet
 * pointers are invalid afterwards. Clobbers R1–R5.
 */
export function adjustMeta(delta: Value, options: AdjustOptions = {}): Fragment {
  return adjust('xdp_adjust_meta', delta, options);
}
