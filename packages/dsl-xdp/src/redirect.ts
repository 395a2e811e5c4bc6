import {
  call,
  choosingReturn,
  type Fragment,
  type Instruction,
  ldMapFd,
  ldx,
  type MapRef,
  mov,
  R1,
  R2,
  R3,
  type Register,
} from '@ts-ebpf/dsl';
import { BpfRedirectFlag, XdpAction } from '@ts-ebpf/uapi';
import { type XdpActionLike, xdpActionCode } from './action.js';
import { XDP_CTX, XDP_MD } from './context.js';
import { XdpArgumentError } from './errors.js';
import { setArg, type Value } from './operand.js';

/** Options of the map redirects. */
export interface RedirectMapOptions {
  /**
   * What the program returns when the map has no entry for the key: XDP_ABORTED (the
   * default, as in the kernel), XDP_DROP, XDP_PASS or XDP_TX.
   */
  readonly fallback?: XdpActionLike;
  /**
   * Devmap only: send to every interface of the map (BPF_F_BROADCAST; the key is then
   * ignored). A cpumap or xskmap redirect with it returns XDP_ABORTED for every packet.
   */
  readonly broadcast?: boolean;
  /** Devmap broadcast only: leave out the interface the packet came in on (BPF_F_EXCLUDE_INGRESS). */
  readonly excludeIngress?: boolean;
}

const FALLBACKS = new Set<number>([XdpAction.ABORTED, XdpAction.DROP, XdpAction.PASS, XdpAction.TX]);

const FALLBACK = 'redirect fallback';

/**
 * `r3 = flags` of a map redirect: the fallback action in the low bits (recorded as the return
 * code the `fallback` option chose, for the section's check), then the broadcast flags.
 */
function redirectFlags(o: RedirectMapOptions): Instruction {
  const fallback = xdpActionCode(o.fallback ?? XdpAction.ABORTED, FALLBACK);
  if (!FALLBACKS.has(fallback))
    throw new XdpArgumentError(FALLBACK, 'must be XDP_ABORTED, XDP_DROP, XDP_PASS or XDP_TX');
  if (o.excludeIngress && !o.broadcast)
    throw new XdpArgumentError('excludeIngress', 'only applies with broadcast: true');
  const flags =
    fallback |
    (o.broadcast ? BpfRedirectFlag.BROADCAST : 0) |
    (o.excludeIngress ? BpfRedirectFlag.EXCLUDE_INGRESS : 0);
  return choosingReturn(mov(R3, flags), fallback, FALLBACK);
}

/** `call helper`, recorded as making the program return XDP_REDIRECT (the helper's result on success). */
function redirectCall(helper: 'redirect' | 'redirect_map'): Instruction {
  return choosingReturn(call(helper), XdpAction.REDIRECT, `the ${helper} helper`);
}

/**
 * `r0 = bpf_redirect(ifindex, 0)`: sends the packet out of interface `ifindex` (a constant or
 * a register). R0 is then XDP_REDIRECT, or XDP_ABORTED for a bad argument: follow with
 * `exit()`. Clobbers R1–R5.
 */
export function redirect(ifindex: Value): Fragment {
  return [...setArg(R1, ifindex, 'redirect ifindex'), ...setArg(R2, 0, 'flags'), redirectCall('redirect')];
}

/**
 * `r0 = bpf_redirect_map(map, key, flags)`: redirects through a devmap, devmap_hash, cpumap
 * or xskmap entry. R0 is then XDP_REDIRECT, or the fallback action when the map has no entry
 * for `key`: follow with `exit()`. Clobbers R1–R5.
 */
export function redirectMap(map: MapRef, key: Value, options: RedirectMapOptions = {}): Fragment {
  return [
    ...setArg(R2, key, 'redirect key'),
    redirectFlags(options),
    ldMapFd(R1, map),
    redirectCall('redirect_map'),
  ];
}

/** {@link redirectMap} through a devmap or devmap_hash: `key` picks the egress interface's entry. */
export function redirectToDevmap(map: MapRef, key: Value, options: RedirectMapOptions = {}): Fragment {
  return redirectMap(map, key, options);
}

/**
 * Refuses `broadcast` and `excludeIngress` for a redirect through a map that is not a devmap:
 * the kernel takes BPF_F_BROADCAST from devmaps only and returns XDP_ABORTED for every packet
 * of a cpumap or xskmap redirect with it.
 */
function devmapOnly(o: RedirectMapOptions, what: string): void {
  for (const flag of ['broadcast', 'excludeIngress'] as const)
    if (o[flag])
      throw new XdpArgumentError(
        flag,
        `only a devmap redirect takes it; ${what} with it returns XDP_ABORTED for every packet`,
      );
}

/** {@link redirectMap} through a cpumap: the packet continues on CPU `cpu`. */
export function redirectToCpu(
  map: MapRef,
  cpu: Value,
  options: Pick<RedirectMapOptions, 'fallback'> = {},
): Fragment {
  devmapOnly(options, 'a cpumap redirect');
  return redirectMap(map, cpu, options);
}

/**
 * Redirects into the AF_XDP socket an xskmap holds for the packet's receive queue
 * (`ctx->rx_queue_index`), or returns `fallback` (e.g. XDP_PASS) when the queue has no
 * socket. `ctx` holds the context (default {@link XDP_CTX}). Follow with `exit()`.
 */
export function redirectToXsk(
  map: MapRef,
  options: Pick<RedirectMapOptions, 'fallback'> & { readonly ctx?: Register } = {},
): Fragment {
  devmapOnly(options, 'an xskmap redirect');
  const queue = XDP_MD.fields.rx_queue_index;
  return [ldx('w', R2, options.ctx ?? XDP_CTX, queue.offset), ...redirectMap(map, R2, options)];
}
