import {
  call,
  type Fragment,
  isRegister,
  ldMapFd,
  type MapRef,
  mov,
  R1,
  R2,
  R3,
  R4,
  type Register,
} from '@ts-ebpf/dsl';
import { BpfRedirectFlag } from '@ts-ebpf/uapi';
import { type StackKey, setArg, stackPointer, type Value } from './values.js';

/** Options of the sockmap and sockhash redirects. */
export interface SocketRedirectOptions {
  /**
   * Queue the data on the target socket's receive side (BPF_F_INGRESS), as if the socket had
   * received it, instead of sending it out of the target socket (the default).
   */
  readonly ingress?: boolean;
}

/** The flags argument of `bpf_sk_redirect_*` and `bpf_msg_redirect_*`. */
export function redirectFlags(o: SocketRedirectOptions): number {
  return o.ingress ? BpfRedirectFlag.INGRESS : 0;
}

/**
 * `r0 = helper(ctx, map, key, flags)` for the four socket redirects and the two sock_ops map
 * updates: a u32 key by value (sockmap redirects) or a pointer to a key on the stack.
 */
export function mapHelperCall(
  helper: string,
  map: MapRef,
  key: Value | StackKey,
  flags: number,
  ctx: Register,
): Fragment {
  const keyArg =
    typeof key === 'object' && !isRegister(key) ? stackPointer(R3, key, 'key') : setArg(R3, key, 'key');
  return [...keyArg, mov(R1, ctx), ldMapFd(R2, map), mov(R4, flags), call(helper)];
}
