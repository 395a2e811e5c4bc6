import { BpfAttachType, BpfSyscallError, linkCreate, type OwnedFd } from '@ts-ebpf/syscall';
import { EbpfError, HOST_LITTLE_ENDIAN } from '@ts-ebpf/uapi';
import { AttachError } from '../errors.js';
import { holdProgram, Link, type LinkParts } from '../link.js';
import { describeInterface, type Interface, ifindex } from '../netlink/ifindex.js';
import {
  attrU32Value,
  decodeAttrs,
  IFINFOMSG_LEN,
  ifinfomsg,
  NLA_F_NESTED,
  NLA_HDRLEN,
  NLMSG,
  NLMSG_HDRLEN,
  putAttrHeader,
  putHeader,
  putIfinfomsg,
} from '../netlink/message.js';
import { NetlinkError, RtNetlink, withRtNetlink } from '../netlink/socket.js';
import { Program } from '../program.js';
import { requireChoice } from './check.js';
import { attachKindAccepts, requireAttachKind } from './kinds.js';

/** `XDP_FLAGS_*` (linux/if_link.h). */
export const XdpFlags = {
  UPDATE_IF_NOEXIST: 1,
  SKB_MODE: 2,
  DRV_MODE: 4,
  HW_MODE: 8,
  REPLACE: 16,
} as const;

/** Where the XDP program runs: generic (skb), driver (native) or offloaded (hw). */
export type XdpMode = 'skb' | 'drv' | 'hw';

const MODE_FLAG: Record<XdpMode, number> = {
  skb: XdpFlags.SKB_MODE,
  drv: XdpFlags.DRV_MODE,
  hw: XdpFlags.HW_MODE,
};
/** Every {@link XdpAttachOptions.mode}. */
export const XDP_MODES: readonly XdpMode[] = Object.freeze(Object.keys(MODE_FLAG) as XdpMode[]);
/** Every {@link XdpAttachOptions.via}. */
export const XDP_VIAS: readonly NonNullable<XdpAttachOptions['via']>[] = Object.freeze([
  'link',
  'netlink',
  'auto',
]);

// IFLA_XDP (linux/if_link.h) and its nested attributes.
const IFLA_XDP = 43;
const IFLA_XDP_FD = 1;
const IFLA_XDP_ATTACHED = 2;
const IFLA_XDP_FLAGS = 3;
const IFLA_XDP_PROG_ID = 4;
const IFLA_XDP_DRV_PROG_ID = 5;
const IFLA_XDP_SKB_PROG_ID = 6;
const IFLA_XDP_HW_PROG_ID = 7;
const IFLA_XDP_EXPECTED_FD = 8;

/** Options of {@link attachXdp}. */
export interface XdpAttachOptions {
  /** Force a mode (default: the kernel picks native when the driver has it, else generic). */
  readonly mode?: XdpMode;
  /**
   * `'link'`: a bpf_link only; `'netlink'`: the legacy IFLA_XDP netlink attach only;
   * `'auto'` (default): a bpf_link, falling back to netlink where links are missing.
   */
  readonly via?: 'link' | 'netlink' | 'auto';
}

/**
 * Attaches an XDP program to an interface (name in this thread's network namespace, or
 * ifindex) as a bpf_link, or through rtnetlink IFLA_XDP on kernels without XDP links.
 */
export function attachXdp(program: Program, iface: Interface, o: XdpAttachOptions = {}): Link {
  const index = ifindex(iface);
  checkXdpProgram(program, iface);
  const mode = o.mode === undefined ? undefined : requireChoice(o.mode, 'mode', XDP_MODES);
  const flags = mode === undefined ? 0 : MODE_FLAG[mode];
  const via = requireChoice(o.via ?? 'auto', 'via', XDP_VIAS);
  let first: unknown;
  if (via !== 'netlink') {
    try {
      const fd = linkCreate({ progFd: program.fd, targetFd: index, attachType: BpfAttachType.XDP, flags });
      return new Link({ kind: 'xdp', fd });
    } catch (e) {
      // EINVAL: no XDP links (before 5.9); try netlink unless links were demanded.
      if (via === 'link' || !(e instanceof BpfSyscallError) || e.code !== 'EINVAL')
        throw explainXdp(e, index, iface, mode);
      first = e;
    }
  }
  try {
    return new Link(new XdpNetlinkAttachment(program, index, flags));
  } catch (e) {
    if (first === undefined) throw explainXdp(e, index, iface, mode);
    // Both failed: the bpf_link error is the one that explains; the netlink one is kept in the message.
    throw new AttachError(
      xdpTarget(iface),
      `${(first as Error).message}; the netlink fallback failed too: ${(e as Error).message}`,
      { cause: first },
    );
  }
}

/** How an XDP attach point is named in errors (only made for an error: naming an ifindex costs syscalls). */
function xdpTarget(iface: Interface): string {
  return `XDP on ${describeInterface(iface)}`;
}

/** Refuses, before the kernel is asked, a program that cannot run at an interface's XDP hook. */
function checkXdpProgram(program: Program, iface: Interface): void {
  if (!attachKindAccepts('xdp', program.type, program.expectedAttachType))
    requireAttachKind('xdp', program, xdpTarget(iface));
}

/** How messages name each mode. */
const MODE_LABEL: Record<XdpMode, string> = {
  skb: 'generic (skb)',
  drv: 'driver (drv)',
  hw: 'offloaded (hw)',
};

/**
 * Turns a busy hook (EBUSY, EEXIST) into a message saying what is attached, and an unsupported
 * mode (EOPNOTSUPP) or an MTU too large for the program (ERANGE) into their causes; other errors pass.
 */
function explainXdp(e: unknown, index: number, iface: Interface, mode: XdpMode | undefined): unknown {
  if (!(e instanceof BpfSyscallError || e instanceof NetlinkError)) return e;
  if (e.code === 'EOPNOTSUPP' && mode !== 'skb') return explainXdpUnsupported(e, iface, mode);
  if (e.code === 'ERANGE')
    return new AttachError(
      xdpTarget(iface),
      "ERANGE: the interface's MTU (a veth's: its peer's) is more than one page-sized XDP buffer holds, and a program not loaded for multi-buffer packets cannot run there; load it with BPF_F_XDP_HAS_FRAGS (an `xdp.frags` section, ProgramEdit.setFlags, or Program.load({ xdpFrags: true })), or lower the MTU",
      { cause: e },
    );
  if (e.code !== 'EBUSY' && e.code !== 'EEXIST') return e;
  let what = 'another XDP program is already attached: detach it first, or replace it with Link.update()';
  try {
    what = xdpConflict(queryXdp(index), mode) ?? what;
  } catch (q) {
    // the query only adds detail (it can race a detach); the refusal is reported either way
    if (!(q instanceof EbpfError)) throw q;
  }
  return new AttachError(xdpTarget(iface), what, { cause: e });
}

/** `XDP program 'name'(id N)`, or without the name when the program is gone or unnamed. */
function describeXdpProgram(id: number): string {
  try {
    using p = Program.fromId(id);
    return `XDP program ${p.name ? `'${p.name}' ` : ''}(id ${id})`;
  } catch (e) {
    if (!(e instanceof EbpfError)) throw e;
    return `XDP program (id ${id})`;
  }
}

/**
 * What keeps an attach in `mode` out, from what the interface has attached in each mode: the
 * program in that mode, or the one in the other of generic and driver mode, which the kernel
 * does not run at once on one interface. Without a mode the kernel picks driver mode where the
 * driver has native XDP, generic mode elsewhere. Undefined when nothing in the way is attached
 * (a race with a detach).
 */
function xdpConflict(q: XdpQueryResult, mode: XdpMode | undefined): string | undefined {
  const ids: Record<XdpMode, number> = { skb: q.skbProgId, drv: q.drvProgId, hw: q.hwProgId };
  const replace = 'detach it first, or replace it with Link.update()';
  const notBoth = 'the kernel does not run a generic and a driver mode program on one interface at once';
  if (mode !== undefined) {
    if (ids[mode] !== 0)
      return `${describeXdpProgram(ids[mode])} is already attached in ${MODE_LABEL[mode]} mode: ${replace}`;
    if (mode === 'hw') return undefined;
    const other = mode === 'skb' ? 'drv' : 'skb';
    if (ids[other] === 0) return undefined;
    return `${describeXdpProgram(ids[other])} is attached in ${MODE_LABEL[other]} mode, and ${MODE_LABEL[mode]} mode was asked for: ${notBoth}; detach it first, or attach with mode '${other}'`;
  }
  if (ids.drv !== 0)
    return `${describeXdpProgram(ids.drv)} is already attached in ${MODE_LABEL.drv} mode, where the kernel attaches without a mode on a driver with native XDP: ${replace}`;
  if (ids.skb !== 0)
    return `${describeXdpProgram(ids.skb)} is attached in ${MODE_LABEL.skb} mode, and no mode was asked for: without one the kernel attaches in driver mode where the interface's driver has native XDP, and ${notBoth} (on a driver without it, the generic mode program is in the way); detach it first, or attach with mode 'skb'`;
  return undefined;
}

/**
 * EOPNOTSUPP from an XDP attach in driver or offload mode: the interface's driver has no such
 * XDP, or refused it. Without a mode the kernel picks driver mode for any driver that has native
 * XDP, and the driver can still refuse (virtio_net does while the host offloads GRO or checksums),
 * which the bpf_link error alone does not tell. Generic mode has no driver condition.
 */
function explainXdpUnsupported(
  e: BpfSyscallError | NetlinkError,
  iface: Interface,
  mode: 'drv' | 'hw' | undefined,
) {
  const why =
    mode === 'hw'
      ? "the interface's driver cannot offload XDP programs (mode 'hw')"
      : mode === 'drv'
        ? "the interface's driver has no native XDP or refused it (mode 'drv')"
        : "without a mode the kernel chose native (driver) mode, and the interface's driver refused it (virtio_net does while the host offloads GRO or checksums; via: 'netlink' reports the driver's own reason)";
  const said = e instanceof NetlinkError ? ` (${e.message})` : '';
  return new AttachError(
    xdpTarget(iface),
    `${why}: EOPNOTSUPP${said}; mode: 'skb' (generic XDP) works on every interface`,
    { cause: e },
  );
}

// RTM_SETLINK { ifinfomsg, IFLA_XDP { FD, FLAGS [, EXPECTED_FD] } }: each inner attribute a 4-byte value.
const XDP_ATTR_LEN = NLA_HDRLEN + 4;
const XDP_NEST_AT = NLMSG_HDRLEN + IFINFOMSG_LEN;
/** The request is encoded here (requests are synchronous and the socket copies it before sending). */
const xdpRequestStorage = new ArrayBuffer(XDP_NEST_AT + NLA_HDRLEN + 3 * XDP_ATTR_LEN);
const xdpRequest = new Uint8Array(xdpRequestStorage);
const xdpView = new DataView(xdpRequestStorage);

/** Sends RTM_SETLINK with IFLA_XDP { fd, flags [, expected fd] } on `nl`. */
function requestXdp(nl: RtNetlink, index: number, progFd: number, flags: number, expectedFd?: number): void {
  const v = xdpView;
  const attrs = expectedFd === undefined ? 2 : 3;
  const len = XDP_NEST_AT + NLA_HDRLEN + attrs * XDP_ATTR_LEN;
  putHeader(v, 0, len, NLMSG.RTM_SETLINK, 0, 0);
  putIfinfomsg(v, NLMSG_HDRLEN, index);
  let at = putAttrHeader(v, XDP_NEST_AT, IFLA_XDP | NLA_F_NESTED, attrs * XDP_ATTR_LEN);
  v.setInt32(putAttrHeader(v, at, IFLA_XDP_FD, 4), progFd, HOST_LITTLE_ENDIAN);
  at += XDP_ATTR_LEN;
  v.setUint32(putAttrHeader(v, at, IFLA_XDP_FLAGS, 4), flags >>> 0, HOST_LITTLE_ENDIAN);
  at += XDP_ATTR_LEN;
  if (expectedFd !== undefined)
    v.setInt32(putAttrHeader(v, at, IFLA_XDP_EXPECTED_FD, 4), expectedFd, HOST_LITTLE_ENDIAN);
  nl.send('RTM_SETLINK IFLA_XDP', xdpRequest.subarray(0, len));
}

/** Sends RTM_SETLINK with IFLA_XDP { fd, flags [, expected fd] } (in this thread's network namespace). */
export function setXdpNetlink(index: number, progFd: number, flags: number, expectedFd?: number): void {
  withRtNetlink((nl) => requestXdp(nl, index, progFd, flags, expectedFd));
}

/**
 * The legacy attach, as the parts of its Link. It keeps the rtnetlink socket it attached through:
 * `index` names an interface of the namespace the socket was opened in, so detach and update reach
 * that interface even from a thread in another namespace by then (and need no socket of their own).
 */
class XdpNetlinkAttachment implements LinkParts {
  readonly kind = 'xdp-netlink';
  readonly #nl: RtNetlink;
  readonly #index: number;
  readonly #modeFlags: number;
  /** Our own reference to the attached program, so detach only removes what we attached. */
  #attached: OwnedFd;

  constructor(program: Program, index: number, modeFlags: number) {
    this.#attached = holdProgram(program);
    let nl: RtNetlink | undefined;
    try {
      nl = new RtNetlink();
      requestXdp(nl, index, program.fd, modeFlags | XdpFlags.UPDATE_IF_NOEXIST);
    } catch (e) {
      nl?.close();
      this.#attached.close();
      throw e;
    }
    this.#nl = nl;
    this.#index = index;
    this.#modeFlags = modeFlags;
  }

  detach(): void {
    try {
      requestXdp(this.#nl, this.#index, -1, this.#modeFlags | XdpFlags.REPLACE, this.#attached.fd);
    } finally {
      this.#attached.close();
      this.#nl.close();
    }
  }

  update(next: Program): void {
    requestXdp(this.#nl, this.#index, next.fd, this.#modeFlags | XdpFlags.REPLACE, this.#attached.fd);
    this.#attached.close();
    this.#attached = holdProgram(next);
  }
}

/**
 * What is attached at an interface's XDP hook (RTM_GETLINK's IFLA_XDP, as libbpf's
 * `bpf_xdp_query` reads it). An interface can run an offloaded program beside one in driver or
 * generic mode (never one in each of those two: the kernel refuses that): `attached` is then 4
 * (multi) and `progId` 0, and the per-mode ids say which program runs where.
 */
export interface XdpQueryResult {
  /** `XDP_ATTACHED_*`: 0 none, 1 drv, 2 skb, 3 hw, 4 multi (programs in more than one mode). */
  readonly attached: number;
  /** The program's id when programs are attached in one mode only; 0 when none, or in several modes. */
  readonly progId: number;
  /** The id of the program attached in generic mode (`mode: 'skb'`, IFLA_XDP_SKB_PROG_ID), 0 when none. */
  readonly skbProgId: number;
  /** The id of the program attached in driver mode (`mode: 'drv'`, IFLA_XDP_DRV_PROG_ID), 0 when none. */
  readonly drvProgId: number;
  /** The id of the program offloaded to the device (`mode: 'hw'`, IFLA_XDP_HW_PROG_ID), 0 when none. */
  readonly hwProgId: number;
}

/**
 * Reads an interface's XDP state (RTM_GETLINK, IFLA_XDP) in the calling thread's network
 * namespace: the attach mode and the program of each mode. The driver's XDP features are
 * {@link interfaceXdpFeatures}'.
 * @throws InterfaceNotFoundError when the namespace has no such interface
 */
export function queryXdp(iface: Interface): XdpQueryResult {
  const index = ifindex(iface);
  const replies = withRtNetlink((nl) => nl.request('RTM_GETLINK', NLMSG.RTM_GETLINK, 0, ifinfomsg(index)));
  const msg = replies.find((m) => m.type === NLMSG.RTM_NEWLINK);
  const xdp = msg ? decodeAttrs(msg.payload.subarray(16)).get(IFLA_XDP) : undefined;
  const a = xdp ? decodeAttrs(xdp) : new Map<number, Uint8Array>();
  const id = (type: number) => attrU32Value(a.get(type)) ?? 0;
  return {
    attached: a.get(IFLA_XDP_ATTACHED)?.[0] ?? 0,
    progId: id(IFLA_XDP_PROG_ID),
    skbProgId: id(IFLA_XDP_SKB_PROG_ID),
    drvProgId: id(IFLA_XDP_DRV_PROG_ID),
    hwProgId: id(IFLA_XDP_HW_PROG_ID),
  };
}
