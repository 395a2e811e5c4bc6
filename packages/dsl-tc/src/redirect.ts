import { call, type Fragment, mov, R1, R2, R3, R4, type Register } from '@ts-ebpf/dsl';
import { TC_CTX } from './context.js';
import { returnOnFailure, setArg, type Value } from './operand.js';
import type { SkbHelperOptions } from './skb.js';

/** Options of {@link redirect} and {@link cloneRedirect}. */
export interface RedirectOptions {
  /** BPF_F_INGRESS: into the interface's receive path instead of out of it. */
  readonly ingress?: boolean;
}

// linux/bpf.h
const F_INGRESS = 1;

/**
 * `r0 = bpf_redirect(ifindex, flags)`: sends the packet out of (or, with `ingress`, into)
 * interface `ifindex`. R0 is then TC_ACT_REDIRECT, or TC_ACT_SHOT for bad flags: follow with
 * `exit()`. Clobbers R1–R5.
 */
export function redirect(ifindex: Value, options: RedirectOptions = {}): Fragment {
  return [
    ...setArg(R1, ifindex, 'redirect ifindex'),
    mov(R2, options.ingress ? F_INGRESS : 0),
    call('redirect'),
  ];
}

/**
 * `r0 = bpf_redirect_peer(ifindex, 0)`: from tc ingress only, moves the packet into the
 * receive path of the peer of `ifindex` (veth, netkit) in its namespace, without a second
 * pass through the backlog. R0 is TC_ACT_REDIRECT on success: follow with `exit()`.
 */
export function redirectPeer(ifindex: Value): Fragment {
  return [...setArg(R1, ifindex, 'redirect_peer ifindex'), mov(R2, 0), call('redirect_peer')];
}

/**
 * `r0 = bpf_redirect_neigh(ifindex, NULL, 0, 0)`: sends the packet out of `ifindex` with its
 * L2 header filled in by the kernel's neighbour table for the packet's destination (the
 * FIB nexthop). R0 is TC_ACT_REDIRECT on success: follow with `exit()`.
 */
export function redirectNeigh(ifindex: Value): Fragment {
  return [
    ...setArg(R1, ifindex, 'redirect_neigh ifindex'),
    mov(R2, 0),
    mov(R3, 0),
    mov(R4, 0),
    call('redirect_neigh'),
  ];
}

/**
 * `r0 = bpf_clone_redirect(skb, ifindex, flags)`: sends a copy of the packet to `ifindex`
 * (out of it, or into it with `ingress`); the program goes on with the original. Packet
 * pointers are invalid afterwards. R0 is 0 on success. Clobbers R1–R5.
 */
export function cloneRedirect(
  ifindex: Value,
  options: RedirectOptions & SkbHelperOptions & { readonly ctx?: Register } = {},
): Fragment {
  return [
    ...setArg(R2, ifindex, 'clone_redirect ifindex'),
    mov(R3, options.ingress ? F_INGRESS : 0),
    ...setArg(R1, options.ctx ?? TC_CTX, 'ctx'),
    call('clone_redirect'),
    ...returnOnFailure(options.onFailure, 'clone_redirect'),
  ];
}
