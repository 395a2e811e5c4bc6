import type { SectionReturns } from '@ts-ebpf/dsl';
import { XDP_RETURN_CODES } from './action.js';

const { XDP_ABORTED, XDP_DROP, XDP_PASS, XDP_REDIRECT } = XDP_RETURN_CODES;

/**
 * The return codes of programs run from a devmap entry (`xdp/devmap`, `xdp.frags/devmap`,
 * BPF_XDP_DEVMAP): XDP_PASS sends the frame on out of the entry's interface, XDP_DROP and
 * XDP_ABORTED drop it. The kernel (`dev_map_bpf_prog_run`, `dev_map_bpf_prog_run_skb` in
 * kernel/bpf/devmap.c) takes anything else, XDP_TX and XDP_REDIRECT included, as an invalid
 * action: it warns once and drops the frame.
 */
export const XDP_DEVMAP_RETURN_CODES = Object.freeze({ XDP_ABORTED, XDP_DROP, XDP_PASS } as const);

/**
 * The return codes of programs run from a cpumap entry (`xdp/cpumap`, `xdp.frags/cpumap`,
 * BPF_XDP_CPUMAP): XDP_PASS hands the frame to the network stack on that CPU, XDP_REDIRECT
 * (after a redirect helper) sends it on, XDP_DROP and XDP_ABORTED drop it. The kernel
 * (`cpu_map_bpf_prog_run_xdp` / `_skb` in kernel/bpf/cpumap.c) takes XDP_TX as an invalid
 * action: it warns once and drops the frame.
 */
export const XDP_CPUMAP_RETURN_CODES = Object.freeze({
  XDP_ABORTED,
  XDP_DROP,
  XDP_PASS,
  XDP_REDIRECT,
} as const);

/** What the kernel does with an action a program run from a map entry may not return. */
const invalid = (action: string, map: string, runner: string, instead: string): string =>
  `${action} is an invalid action for a program run from a ${map} entry: the kernel (${runner}) warns once and drops the frame; ${instead}`;

const DEVMAP_INSTEAD = "XDP_PASS sends it out of the entry's interface";

/** The XDP plugin's `sectionReturns` entry of the devmap sections. */
export const XDP_DEVMAP_RETURNS: SectionReturns = Object.freeze({
  codes: XDP_DEVMAP_RETURN_CODES,
  refused: Object.freeze({
    XDP_TX: invalid('XDP_TX', 'devmap', 'dev_map_bpf_prog_run', DEVMAP_INSTEAD),
    XDP_REDIRECT: invalid('XDP_REDIRECT', 'devmap', 'dev_map_bpf_prog_run', DEVMAP_INSTEAD),
  }),
});

/** The XDP plugin's `sectionReturns` entry of the cpumap sections. */
export const XDP_CPUMAP_RETURNS: SectionReturns = Object.freeze({
  codes: XDP_CPUMAP_RETURN_CODES,
  refused: Object.freeze({
    XDP_TX: invalid(
      'XDP_TX',
      'cpumap',
      'cpu_map_bpf_prog_run_xdp',
      'XDP_PASS hands it to the stack on that CPU, XDP_REDIRECT sends it on',
    ),
  }),
});
