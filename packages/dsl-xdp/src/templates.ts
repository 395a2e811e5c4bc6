import { exit, type Fragment, mov, R0 } from '@ts-ebpf/dsl';
import { XdpAction } from '@ts-ebpf/uapi';

/**
 * Ready-made XDP programs (bodies for `xdp().build(...)`), the XDP plugin's templates.
 */
export const XDP_TEMPLATES = Object.freeze({
  /** Passes every packet to the stack. */
  passAll: (): Fragment => [mov(R0, XdpAction.PASS), exit()],
  /** Drops every packet. */
  dropAll: (): Fragment => [mov(R0, XdpAction.DROP), exit()],
});
