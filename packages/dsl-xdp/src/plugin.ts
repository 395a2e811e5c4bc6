import { type DslPlugin, definePlugin, type Fragment, mov, PluginSection, R1, R6 } from '@ts-ebpf/dsl';
import { XdpAction } from '@ts-ebpf/uapi';
import { XDP_MD, type XdpMdContext } from './context.js';
import { XDP_TEMPLATES } from './templates.js';

/** XDP return codes by name (`enum xdp_action`, from `@ts-ebpf/uapi`). */
export const XDP_RETURN_CODES = Object.freeze({
  XDP_ABORTED: XdpAction.ABORTED,
  XDP_DROP: XdpAction.DROP,
  XDP_PASS: XdpAction.PASS,
  XDP_TX: XdpAction.TX,
  XDP_REDIRECT: XdpAction.REDIRECT,
} as const);

/** An XDP action by name (`'XDP_PASS'`). */
export type XdpActionName = keyof typeof XDP_RETURN_CODES;

/** The register the XDP plugin's prologue keeps the context in for the whole program. */
export const XDP_CTX = R6;

/** The sections the XDP plugin builds programs for (libbpf's names). */
export type XdpSectionName =
  | 'xdp'
  | 'xdp.frags'
  | 'xdp/devmap'
  | 'xdp.frags/devmap'
  | 'xdp/cpumap'
  | 'xdp.frags/cpumap';

/** The XDP plugin's type. */
export type XdpPlugin = DslPlugin<XdpMdContext, typeof XDP_RETURN_CODES, typeof XDP_TEMPLATES>;

/**
 * The plugin for `BPF_PROG_TYPE_XDP`: sections `xdp` (attached to an interface),
 * `xdp/devmap` and `xdp/cpumap` (run from a devmap or cpumap entry) and their `.frags`
 * forms (multi-buffer packets, BPF_F_XDP_HAS_FRAGS). Its prologue copies the context from
 * R1 into R6 ({@link XDP_CTX}), where the fragments of this package expect it, since helper
 * calls clobber R1–R5.
 */
export const xdpPlugin: XdpPlugin = definePlugin({
  name: 'xdp',
  sections: ['xdp', 'xdp.frags', 'xdp/devmap', 'xdp.frags/devmap', 'xdp/cpumap', 'xdp.frags/cpumap'],
  context: XDP_MD,
  returnCodes: XDP_RETURN_CODES,
  prologue: (): Fragment => [mov(XDP_CTX, R1)],
  templates: XDP_TEMPLATES,
});

/**
 * The XDP plugin's section `name` (default `xdp`): `.load('ingress_ifindex', R2, XDP_CTX)`,
 * `.ret('XDP_PASS')` and `.build(body)`, which gives what `Program.load` takes.
 */
export function xdp(
  name: XdpSectionName = 'xdp',
): PluginSection<XdpMdContext, typeof XDP_RETURN_CODES, typeof XDP_TEMPLATES> {
  return new PluginSection(xdpPlugin, name);
}
