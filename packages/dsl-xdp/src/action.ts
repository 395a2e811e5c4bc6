import { XdpAction } from '@ts-ebpf/uapi';
import { XdpActionError } from './errors.js';
import { XDP_RETURN_CODES, type XdpActionName } from './plugin.js';

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
