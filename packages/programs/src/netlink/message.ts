/** Netlink message and attribute encoding (linux/netlink.h, linux/rtnetlink.h), in host byte order. */

import { HOST_LITTLE_ENDIAN } from '@ts-ebpf/uapi';

/** nlmsghdr flags. */
export const NLM_F = {
  REQUEST: 0x1,
  MULTI: 0x2,
  ACK: 0x4,
  REPLACE: 0x100,
  EXCL: 0x200,
  CREATE: 0x400,
  /** On a GET request: every object (NLM_F_ROOT | NLM_F_MATCH), in several messages. */
  DUMP: 0x300,
  /** On an NLMSG_ERROR: the original request was capped. */
  CAPPED: 0x100,
  /** On an NLMSG_ERROR: extended-ack attributes follow. */
  ACK_TLVS: 0x200,
} as const;

/** Message types used here. */
export const NLMSG = {
  ERROR: 2,
  DONE: 3,
  RTM_NEWLINK: 16,
  RTM_GETLINK: 18,
  RTM_SETLINK: 19,
  RTM_NEWQDISC: 36,
  RTM_DELQDISC: 37,
  RTM_NEWTFILTER: 44,
  RTM_DELTFILTER: 45,
} as const;

/** A netlink attribute (type + payload), possibly nested. */
export interface NlAttr {
  /** Attribute type (with NLA_F_NESTED for nested ones). */
  readonly type: number;
  /** The value bytes, unpadded. */
  readonly payload: Uint8Array;
}

/** Set in the type of an attribute whose payload is attributes. */
export const NLA_F_NESTED = 0x8000;
const align4 = (n: number) => (n + 3) & ~3;

/** An attribute with raw bytes. */
export function attr(type: number, payload: Uint8Array): NlAttr {
  return { type, payload };
}

/** The u32 (host byte order) an attribute's payload holds, or undefined when it has fewer than 4 bytes. */
export function attrU32Value(payload: Uint8Array | undefined): number | undefined {
  if (!payload || payload.byteLength < 4) return undefined;
  return new DataView(payload.buffer, payload.byteOffset, 4).getUint32(0, HOST_LITTLE_ENDIAN);
}

/** The u16 (host byte order) an attribute's payload holds, or undefined when it has fewer than 2 bytes. */
export function attrU16Value(payload: Uint8Array | undefined): number | undefined {
  if (!payload || payload.byteLength < 2) return undefined;
  return new DataView(payload.buffer, payload.byteOffset, 2).getUint16(0, HOST_LITTLE_ENDIAN);
}

/** A u32 attribute (host byte order). */
export function attrU32(type: number, value: number): NlAttr {
  const storage = new ArrayBuffer(4);
  const b = new Uint8Array(storage);
  new DataView(storage).setUint32(0, value >>> 0, HOST_LITTLE_ENDIAN);
  return attr(type, b);
}

/** An s32 attribute. */
export function attrS32(type: number, value: number): NlAttr {
  const storage = new ArrayBuffer(4);
  const b = new Uint8Array(storage);
  new DataView(storage).setInt32(0, value, HOST_LITTLE_ENDIAN);
  return attr(type, b);
}

/** A NUL-terminated string attribute. */
export function attrString(type: number, value: string): NlAttr {
  const s = new TextEncoder().encode(value);
  const b = new Uint8Array(s.byteLength + 1);
  b.set(s);
  return attr(type, b);
}

/** A nested attribute (NLA_F_NESTED set). */
export function nested(type: number, ...children: NlAttr[]): NlAttr {
  return attr(type | NLA_F_NESTED, encodeAttrs(children));
}

/** Size of `struct nlmsghdr`. */
export const NLMSG_HDRLEN = 16;
/** Size of `struct nlattr` (the header before an attribute's payload). */
export const NLA_HDRLEN = 4;
/** Size of `struct ifinfomsg`. */
export const IFINFOMSG_LEN = 16;

/** Writes a `struct nlmsghdr` at `at` (pid 0: the kernel fills it in). */
export function putHeader(
  v: DataView,
  at: number,
  len: number,
  type: number,
  flags: number,
  seq: number,
): void {
  v.setUint32(at, len, HOST_LITTLE_ENDIAN);
  v.setUint16(at + 4, type, HOST_LITTLE_ENDIAN);
  v.setUint16(at + 6, flags, HOST_LITTLE_ENDIAN);
  v.setUint32(at + 8, seq, HOST_LITTLE_ENDIAN);
  v.setUint32(at + 12, 0, HOST_LITTLE_ENDIAN);
}

/** Writes a `struct nlattr` header at `at` for a payload of `payloadLen` bytes; returns where the payload goes. */
export function putAttrHeader(v: DataView, at: number, type: number, payloadLen: number): number {
  v.setUint16(at, NLA_HDRLEN + payloadLen, HOST_LITTLE_ENDIAN);
  v.setUint16(at + 2, type, HOST_LITTLE_ENDIAN);
  return at + NLA_HDRLEN;
}

/** Writes a `struct ifinfomsg` at `at`: the family and ifindex, every other field zero. */
export function putIfinfomsg(v: DataView, at: number, ifindex: number, family = 0): void {
  v.setUint32(at, 0, HOST_LITTLE_ENDIAN); // family, pad, type
  v.setUint8(at, family);
  v.setInt32(at + 4, ifindex, HOST_LITTLE_ENDIAN);
  v.setUint32(at + 8, 0, HOST_LITTLE_ENDIAN); // flags
  v.setUint32(at + 12, 0, HOST_LITTLE_ENDIAN); // change
}

/** Encodes attributes, each padded to 4 bytes. */
export function encodeAttrs(attrs: readonly NlAttr[]): Uint8Array {
  const size = attrs.reduce((n, a) => n + align4(NLA_HDRLEN + a.payload.byteLength), 0);
  const storage = new ArrayBuffer(size);
  const out = new Uint8Array(storage);
  const v = new DataView(storage);
  let at = 0;
  for (const a of attrs) {
    out.set(a.payload, putAttrHeader(v, at, a.type, a.payload.byteLength));
    at += align4(NLA_HDRLEN + a.payload.byteLength);
  }
  return out;
}

/** Decodes a run of attributes into type → payload (nested flag removed). */
export function decodeAttrs(bytes: Uint8Array): Map<number, Uint8Array> {
  const out = new Map<number, Uint8Array>();
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 0;
  while (at + 4 <= bytes.byteLength) {
    const len = v.getUint16(at, HOST_LITTLE_ENDIAN);
    if (len < 4 || at + len > bytes.byteLength) break;
    out.set(v.getUint16(at + 2, HOST_LITTLE_ENDIAN) & 0x3fff, bytes.subarray(at + 4, at + len));
    at += align4(len);
  }
  return out;
}

/** Encodes one netlink message: header, fixed body (ifinfomsg, tcmsg …), attributes. */
export function encodeMessage(
  type: number,
  flags: number,
  seq: number,
  body: Uint8Array,
  attrs: readonly NlAttr[] = [],
): Uint8Array {
  const a = encodeAttrs(attrs);
  const bodyLen = align4(body.byteLength);
  const storage = new ArrayBuffer(NLMSG_HDRLEN + bodyLen + a.byteLength);
  const out = new Uint8Array(storage);
  putHeader(new DataView(storage), 0, out.byteLength, type, flags, seq);
  out.set(body, NLMSG_HDRLEN);
  out.set(a, NLMSG_HDRLEN + bodyLen);
  return out;
}

/** One decoded message. */
export interface NlMessage {
  /** nlmsg_type. */
  readonly type: number;
  /** nlmsg_flags. */
  readonly flags: number;
  /** nlmsg_seq: matches the request's. */
  readonly seq: number;
  /** Everything after the 16-byte header. */
  readonly payload: Uint8Array;
}

/**
 * The length of the whole message that starts at `at` within the first `end` bytes viewed by `v`,
 * or 0 when none does (too few bytes left, or a length field that is too small or runs past `end`).
 */
export function messageLength(v: DataView, at: number, end: number): number {
  if (at + NLMSG_HDRLEN > end) return 0;
  const len = v.getUint32(at, HOST_LITTLE_ENDIAN);
  return len < NLMSG_HDRLEN || at + len > end ? 0 : len;
}

/** Where the message after the `len`-byte one at `at` starts. */
export function nextMessage(at: number, len: number): number {
  return at + align4(len);
}

/** nlmsg_type of the message at `at`. */
export function messageType(v: DataView, at: number): number {
  return v.getUint16(at + 4, HOST_LITTLE_ENDIAN);
}

/** nlmsg_seq of the message at `at`. */
export function messageSeq(v: DataView, at: number): number {
  return v.getUint32(at + 8, HOST_LITTLE_ENDIAN);
}

/**
 * The `len`-byte message at `at` of `bytes` (viewed by `v`); its payload is a copy when `copy` is
 * set (for bytes that will be reused), else a view.
 */
export function messageAt(bytes: Uint8Array, v: DataView, at: number, len: number, copy: boolean): NlMessage {
  const from = at + NLMSG_HDRLEN;
  return {
    type: messageType(v, at),
    flags: v.getUint16(at + 6, HOST_LITTLE_ENDIAN),
    seq: messageSeq(v, at),
    payload: copy ? bytes.slice(from, at + len) : bytes.subarray(from, at + len),
  };
}

/** Splits a datagram read from a netlink socket into messages. */
export function decodeMessages(bytes: Uint8Array): NlMessage[] {
  const out: NlMessage[] = [];
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let at = 0; ; ) {
    const len = messageLength(v, at, bytes.byteLength);
    if (len === 0) return out;
    out.push(messageAt(bytes, v, at, len, false));
    at = nextMessage(at, len);
  }
}

const NLMSGERR_ATTR_MSG = 1;

/** What an NLMSG_ERROR message says: 0 for an ack, else the positive errno and the extended ack text. */
export interface NlError {
  /** The positive errno, 0 for a plain ack. */
  readonly errno: number;
  /** NLMSGERR_ATTR_MSG of an extended ack, when the kernel sent one. */
  readonly kernelMessage: string | undefined;
}

/** True when the `len`-byte message at `at` is an NLMSG_ERROR carrying error 0: a plain ack. */
export function isAck(v: DataView, at: number, len: number): boolean {
  return (
    messageType(v, at) === NLMSG.ERROR &&
    len >= NLMSG_HDRLEN + 4 &&
    v.getInt32(at + NLMSG_HDRLEN, HOST_LITTLE_ENDIAN) === 0
  );
}

/**
 * Decodes an NLMSG_ERROR: `struct nlmsgerr` (error, then the request's header — with its
 * payload unless NLM_F_CAPPED) and, with NLM_F_ACK_TLVS, the extended-ack attributes.
 */
export function decodeError(m: NlMessage): NlError {
  const v = new DataView(m.payload.buffer, m.payload.byteOffset, m.payload.byteLength);
  if (m.payload.byteLength < 4) return { errno: 0, kernelMessage: undefined };
  const errno = -v.getInt32(0, HOST_LITTLE_ENDIAN);
  if (!(m.flags & NLM_F.ACK_TLVS) || m.payload.byteLength < 20) return { errno, kernelMessage: undefined };
  const echoed = m.flags & NLM_F.CAPPED ? 16 : v.getUint32(4, HOST_LITTLE_ENDIAN);
  const msg = decodeAttrs(m.payload.subarray(4 + align4(echoed))).get(NLMSGERR_ATTR_MSG);
  const text = msg ? new TextDecoder().decode(msg).replace(/\0+$/, '') : undefined;
  return { errno, kernelMessage: text === '' ? undefined : text };
}

/** `struct ifinfomsg` (16 bytes). */
export function ifinfomsg(ifindex: number, family = 0): Uint8Array {
  const storage = new ArrayBuffer(IFINFOMSG_LEN);
  const b = new Uint8Array(storage);
  putIfinfomsg(new DataView(storage), 0, ifindex, family);
  return b;
}

/** `struct tcmsg` (20 bytes). */
export function tcmsg(ifindex: number, handle: number, parent: number, info: number): Uint8Array {
  const storage = new ArrayBuffer(20);
  const b = new Uint8Array(storage);
  const v = new DataView(storage);
  v.setInt32(4, ifindex, HOST_LITTLE_ENDIAN);
  v.setUint32(8, handle >>> 0, HOST_LITTLE_ENDIAN);
  v.setUint32(12, parent >>> 0, HOST_LITTLE_ENDIAN);
  v.setUint32(16, info >>> 0, HOST_LITTLE_ENDIAN);
  return b;
}
