/**
 * Generic netlink (linux/genetlink.h): a family is named by a string and gets its message type
 * (the family id) at run time, from the controller family; every message's body starts with a
 * `struct genlmsghdr`.
 */
import { Errno } from '@ts-ebpf/uapi';
import { attrString, attrU16Value, decodeAttrs, type NlAttr, type NlMessage } from './message.js';
import { NetlinkError, type RtNetlink } from './socket.js';

/** `GENL_ID_CTRL`: the controller family's fixed id. */
const GENL_ID_CTRL = 0x10;
const CTRL_CMD_GETFAMILY = 3;
const CTRL_ATTR_FAMILY_ID = 1;
const CTRL_ATTR_FAMILY_NAME = 2;
/** Size of `struct genlmsghdr` (cmd, version, reserved u16). */
export const GENL_HDRLEN = 4;

/** `struct genlmsghdr` for command `cmd`. */
function genlHeader(cmd: number, version: number): Uint8Array {
  return new Uint8Array([cmd, version, 0, 0]);
}

/**
 * The id of the generic netlink family `name` (CTRL_CMD_GETFAMILY), or undefined when this
 * kernel has no such family (the controller answers ENOENT).
 */
export function genlFamilyId(nl: RtNetlink, name: string): number | undefined {
  let replies: NlMessage[];
  try {
    replies = genlRequest(nl, `CTRL_CMD_GETFAMILY ${name}`, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 0, [
      attrString(CTRL_ATTR_FAMILY_NAME, name),
    ]);
  } catch (e) {
    if (e instanceof NetlinkError && e.code === 'ENOENT') return undefined;
    throw e;
  }
  for (const m of replies) {
    const id = attrU16Value(genlAttrs(m).get(CTRL_ATTR_FAMILY_ID));
    if (id !== undefined) return id;
  }
  throw new NetlinkError(
    Errno.EPROTO,
    `CTRL_CMD_GETFAMILY ${name}`,
    'the reply carries no CTRL_ATTR_FAMILY_ID',
  );
}

/** Sends command `cmd` of family `family` with `flags` and `attrs`; the replies before the ack. */
export function genlRequest(
  nl: RtNetlink,
  what: string,
  family: number,
  cmd: number,
  flags: number,
  attrs: readonly NlAttr[],
  version = 1,
): NlMessage[] {
  return nl.request(what, family, flags, genlHeader(cmd, version), attrs);
}

/** The attributes of a generic netlink message (past its `genlmsghdr`). */
export function genlAttrs(m: NlMessage): Map<number, Uint8Array> {
  return decodeAttrs(m.payload.subarray(GENL_HDRLEN));
}
