import {
  BpfArgumentError,
  close,
  errnoName,
  fileReadInto,
  fileWrite,
  ObjectClosedError,
  setsockopt,
  socket,
} from '@ts-ebpf/syscall';
import {
  AddressFamily,
  EbpfError,
  HOST_LITTLE_ENDIAN,
  NetlinkProtocol,
  NetlinkSocketOption,
  SocketLevel,
  SocketType,
} from '@ts-ebpf/uapi';
import {
  decodeError,
  encodeMessage,
  isAck,
  messageAt,
  messageLength,
  messageSeq,
  messageType,
  NLM_F,
  NLMSG,
  NLMSG_HDRLEN,
  type NlAttr,
  type NlMessage,
  nextMessage,
  putHeader,
} from './message.js';

/** The rtnetlink protocol: links, addresses, qdiscs, filters (`NetlinkProtocol.ROUTE` of `@ts-ebpf/uapi`). */
export const NETLINK_ROUTE = NetlinkProtocol.ROUTE;
/** The generic netlink protocol: families named at run time (`netdev`, `ethtool` …; `NetlinkProtocol.GENERIC`). */
export const NETLINK_GENERIC = NetlinkProtocol.GENERIC;

/** The kernel answered a netlink request with an error. */
export class NetlinkError extends EbpfError {
  /** The positive errno. */
  readonly errno: number;
  /** Its name (`'EEXIST'`). */
  readonly code: string;
  /** The kernel's extended-ack message, when it gave one. */
  readonly kernelMessage: string | undefined;
  /** @param errno - positive errno; @param what - the request; @param kernelMessage - the extended ack text */
  constructor(errno: number, what: string, kernelMessage?: string) {
    const code = errnoName(errno);
    super(`netlink ${what} failed: ${code} (errno ${errno})${kernelMessage ? `: ${kernelMessage}` : ''}`);
    this.errno = errno;
    this.code = code;
    this.kernelMessage = kernelMessage;
  }
}

const one = new Uint8Array([1, 0, 0, 0]);

/** The largest reply datagram read at once. */
const REPLY_BUFFER_SIZE = 65536;
/**
 * What every socket reads replies into (requests are synchronous, and the replies a request
 * returns are copied out of it), and a view of it: no 64 KiB allocation per read.
 */
let replyBuffer: Uint8Array | undefined;
let replyView: DataView | undefined;
/** Where {@link RtNetlink.send} copies a caller's message to stamp its flags and sequence number. */
let sendStorage = new ArrayBuffer(256);
let sendBuffer = new Uint8Array(sendStorage);
let sendView = new DataView(sendStorage);

/**
 * A NETLINK_ROUTE socket (or, given `NETLINK_GENERIC`, a generic netlink one) spoken to with
 * write(2)/read(2): an unbound netlink socket sends to the kernel and is auto-bound on first
 * send. Requests ask for an ack, so every request gets an answer; errors come with the kernel's
 * extended-ack message where it gives one.
 */
export class RtNetlink implements Disposable {
  readonly #fd: number;
  #seq = 1;
  #closed = false;

  /**
   * Opens the socket and asks for extended acks.
   * @param protocol - `NETLINK_ROUTE` (0, the default) or `NETLINK_GENERIC` (16)
   */
  constructor(protocol: typeof NETLINK_ROUTE | typeof NETLINK_GENERIC = NETLINK_ROUTE) {
    this.#fd = socket(AddressFamily.NETLINK, SocketType.RAW | SocketType.CLOEXEC, protocol);
    try {
      setsockopt(this.#fd, SocketLevel.NETLINK, NetlinkSocketOption.EXT_ACK, one);
    } catch {
      // older kernels: plain acks without the kernel's message
    }
  }

  /**
   * Sends one request and returns the replies before its ack; throws {@link NetlinkError}, or
   * ObjectClosedError after close.
   */
  request(
    what: string,
    type: number,
    flags: number,
    body: Uint8Array,
    attrs: readonly NlAttr[] = [],
  ): NlMessage[] {
    const seq = this.#seq++;
    return this.#exchange(
      what,
      encodeMessage(type, flags | NLM_F.REQUEST | NLM_F.ACK, seq, body, attrs),
      seq,
    );
  }

  /**
   * Sends one whole message the caller encoded (`nlmsghdr` then its body and attributes, as
   * `encodeMessage` makes) and returns the replies before its ack; throws {@link NetlinkError}.
   * The message is copied and the copy gets `NLM_F_REQUEST | NLM_F_ACK` and this socket's next
   * sequence number, so the caller's bytes are not written and may be reused.
   * @throws BpfArgumentError when the bytes are shorter than a header or their length field differs from their length
   */
  send(what: string, message: Uint8Array): NlMessage[] {
    const len = message.byteLength;
    const v = new DataView(message.buffer, message.byteOffset, len);
    if (len < NLMSG_HDRLEN || v.getUint32(0, HOST_LITTLE_ENDIAN) !== len)
      throw new BpfArgumentError(
        'netlink message',
        `${what}: ${len} bytes, ${len < NLMSG_HDRLEN ? `shorter than the ${NLMSG_HDRLEN}-byte header` : `but its header says ${v.getUint32(0, HOST_LITTLE_ENDIAN)}`}`,
      );
    if (len > sendBuffer.byteLength) {
      sendStorage = new ArrayBuffer(len);
      sendBuffer = new Uint8Array(sendStorage);
      sendView = new DataView(sendStorage);
    }
    sendBuffer.set(message);
    const seq = this.#seq++;
    const flags = v.getUint16(6, HOST_LITTLE_ENDIAN) | NLM_F.REQUEST | NLM_F.ACK;
    putHeader(sendView, 0, len, messageType(v, 0), flags, seq);
    return this.#exchange(what, sendBuffer.subarray(0, len), seq);
  }

  /** Writes `bytes` (a request with sequence number `seq`) and reads until its ack, done or error. */
  #exchange(what: string, bytes: Uint8Array, seq: number): NlMessage[] {
    if (this.#closed) throw new ObjectClosedError('rtnetlink socket');
    fileWrite(this.#fd, bytes);
    const replies: NlMessage[] = [];
    if (!replyBuffer || !replyView) {
      const storage = new ArrayBuffer(REPLY_BUFFER_SIZE);
      replyBuffer = new Uint8Array(storage);
      replyView = new DataView(storage);
    }
    const buf = replyBuffer;
    const v = replyView;
    for (;;) {
      const n = fileReadInto(this.#fd, buf);
      for (
        let at = 0, len = messageLength(v, at, n);
        len > 0;
        at = nextMessage(at, len), len = messageLength(v, at, n)
      ) {
        if (messageSeq(v, at) !== seq) continue;
        if (isAck(v, at, len)) return replies;
        const type = messageType(v, at);
        if (type === NLMSG.ERROR) {
          const { errno, kernelMessage } = decodeError(messageAt(buf, v, at, len, false));
          if (errno === 0) return replies;
          throw new NetlinkError(errno, what, kernelMessage);
        }
        if (type === NLMSG.DONE) return replies;
        replies.push(messageAt(buf, v, at, len, true));
      }
    }
  }

  /** Closes the socket; later calls do nothing. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    close(this.#fd);
  }

  /** Same as {@link RtNetlink.close}. */
  [Symbol.dispose](): void {
    this.close();
  }
}

/** Runs `fn` with a fresh rtnetlink socket (or one of `protocol`), closing it afterwards. */
export function withRtNetlink<T>(
  fn: (nl: RtNetlink) => T,
  protocol: typeof NETLINK_ROUTE | typeof NETLINK_GENERIC = NETLINK_ROUTE,
): T {
  const nl = new RtNetlink(protocol);
  try {
    return fn(nl);
  } finally {
    nl.close();
  }
}
