import { XdpAction } from '@ts-ebpf/uapi';
import { XdpActionError, XdpArgumentError } from './errors.js';

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

/** An XDP action: its name (`'XDP_DROP'`) or its code (`XdpAction.DROP`). */
export type XdpActionLike = XdpActionName | XdpAction;

const CODES = new Set<number>(Object.values(XdpAction));

/** The code of `action`; throws {@link XdpActionError} for anything that is not an XDP action. */
export function xdpActionCode(action: XdpActionLike, what = 'action'): XdpAction {
  if (typeof action === 'string') {
    if (Object.hasOwn(XDP_RETURN_CODES, action)) return XDP_RETURN_CODES[action];
  } else if (CODES.has(action)) return action;
  throw new XdpActionError(what, action);
}

/**
 * The code of `action` for a template to return as is, with no redirect helper called before:
 * XDP_REDIRECT is refused (the kernel then has no redirect target, and drops the packet as a
 * redirect error).
 * @throws XdpActionError for anything that is not an XDP action, XdpArgumentError for XDP_REDIRECT
 */
export function xdpVerdictCode(action: XdpActionLike, what: string): XdpAction {
  const code = xdpActionCode(action, what);
  if (code === XdpAction.REDIRECT)
    throw new XdpArgumentError(
      what,
      'XDP_REDIRECT is returned after a redirect helper (redirect, redirectMap); returned alone, the kernel has no target and drops the packet',
    );
  return code;
}
