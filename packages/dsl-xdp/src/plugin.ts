import { type DslPlugin, definePlugin, type Fragment, mov, PluginSection, R1 } from '@ts-ebpf/dsl';
import { XDP_RETURN_CODES } from './action.js';
import { XDP_CTX, XDP_MD, type XdpMdContext } from './context.js';
import {
  type XDP_CPUMAP_RETURN_CODES,
  XDP_CPUMAP_RETURNS,
  type XDP_DEVMAP_RETURN_CODES,
  XDP_DEVMAP_RETURNS,
} from './map-run-returns.js';
import { XDP_TEMPLATES } from './templates.js';

/** The sections of programs run from a devmap entry (BPF_XDP_DEVMAP). */
export type XdpDevmapSectionName = 'xdp/devmap' | 'xdp.frags/devmap';

/** The sections of programs run from a cpumap entry (BPF_XDP_CPUMAP). */
export type XdpCpumapSectionName = 'xdp/cpumap' | 'xdp.frags/cpumap';

/** The sections the XDP plugin builds programs for (libbpf's names). */
export type XdpSectionName = 'xdp' | 'xdp.frags' | XdpDevmapSectionName | XdpCpumapSectionName;

/** The XDP plugin's type. */
export type XdpPlugin = DslPlugin<XdpMdContext, typeof XDP_RETURN_CODES, typeof XDP_TEMPLATES>;

/** An `xdp` or `xdp.frags` section: every XDP action. */
export type XdpSection = PluginSection<XdpMdContext, typeof XDP_RETURN_CODES, typeof XDP_TEMPLATES>;

/** A devmap section: XDP_ABORTED, XDP_DROP, XDP_PASS ({@link XDP_DEVMAP_RETURN_CODES}). */
export type XdpDevmapSection = PluginSection<
  XdpMdContext,
  typeof XDP_DEVMAP_RETURN_CODES,
  typeof XDP_TEMPLATES
>;

/** A cpumap section: every XDP action but XDP_TX ({@link XDP_CPUMAP_RETURN_CODES}). */
export type XdpCpumapSection = PluginSection<
  XdpMdContext,
  typeof XDP_CPUMAP_RETURN_CODES,
  typeof XDP_TEMPLATES
>;

/**
 * The plugin for `BPF_PROG_TYPE_XDP`: sections `xdp` (attached to an interface),
 * `xdp/devmap` and `xdp/cpumap` (run from a devmap or cpumap entry) and their `.frags`
 * forms (multi-buffer packets, BPF_F_XDP_HAS_FRAGS). The devmap sections return
 * {@link XDP_DEVMAP_RETURN_CODES}, the cpumap sections {@link XDP_CPUMAP_RETURN_CODES}: the
 * kernel drops the frame of any other action there. Its prologue copies the context from
 * R1 into R6 ({@link XDP_CTX}), where the fragments of this package expect it, since helper
 * calls clobber R1–R5.
 */
export const xdpPlugin: XdpPlugin = definePlugin({
  name: 'xdp',
  sections: ['xdp', 'xdp.frags', 'xdp/devmap', 'xdp.frags/devmap', 'xdp/cpumap', 'xdp.frags/cpumap'],
  context: XDP_MD,
  returnCodes: XDP_RETURN_CODES,
  sectionReturns: {
    'xdp/devmap': XDP_DEVMAP_RETURNS,
    'xdp.frags/devmap': XDP_DEVMAP_RETURNS,
    'xdp/cpumap': XDP_CPUMAP_RETURNS,
    'xdp.frags/cpumap': XDP_CPUMAP_RETURNS,
  },
  prologue: (): Fragment => [mov(XDP_CTX, R1)],
  templates: XDP_TEMPLATES,
});

/**
 * The XDP plugin's section `name` (default `xdp`): `.load('ingress_ifindex', R2, XDP_CTX)`,
 * `.ret('XDP_PASS')` and `.build(body)`, which gives what `Program.load` takes. A devmap or
 * cpumap section has fewer return codes: `xdp('xdp/devmap').ret('XDP_TX')` is a type error
 * and, past the types, a `PluginError` naming the section and what the kernel does with it.
 */
export function xdp(name: XdpDevmapSectionName): XdpDevmapSection;
export function xdp(name: XdpCpumapSectionName): XdpCpumapSection;
export function xdp(name?: 'xdp' | 'xdp.frags'): XdpSection;
export function xdp(name: XdpSectionName): XdpSection | XdpDevmapSection | XdpCpumapSection;
export function xdp(name: XdpSectionName = 'xdp'): XdpSection | XdpDevmapSection | XdpCpumapSection {
  return new PluginSection(xdpPlugin, name);
}
