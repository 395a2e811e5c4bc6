import { close, errnoName, fileReadInto, fileWrite, setsockopt, socket } from '@ts-ebpf/syscall';
import { EbpfError } from '@ts-ebpf/uapi';
import {
  decodeError,
  decodeMessages,
  encodeMessage,
  NLM_F,
  NLMSG,
  type NlAttr,
  type NlMessage,
} from './message.js';

const AF_NETLINK = 16;
const SOCK_RAW = 3;
const SOCK_CLOEXEC = 0o2000000;
const NETLINK_ROUTE = 0;
const SOL_NETLINK = 270;
const NETLINK_CAP_ACK = 10;
const NETLINK_EXT_ACK = 11;

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
 * What every socket reads replies into (requests are synchronous, and each read's bytes are
 * copied out before the next, so replies never share it): no 64 KiB allocation per read.
 */
let replyBuffer: Uint8Array | undefined;

/**
 * A NETLINK_ROUTE socket spoken to with write(2)/read(2): an unbound netlink socket
 * sends to the kernel and is auto-bound on first send. Requests ask for an ack, so every
 * request gets an answer.
 */
export class RtNetlink implements Disposable {
  readonly #fd: number;
  #seq = 1;
  #closed = false;

  /** Opens the socket and asks for capped, extended acks. */
  constructor() {
    this.#fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    try {
      setsockopt(this.#fd, SOL_NETLINK, NETLINK_CAP_ACK, one);
      setsockopt(this.#fd, SOL_NETLINK, NETLINK_EXT_ACK, one);
    } catch {
      // older kernels: plain acks without the kernel's message
    }
  }

  /** Sends one request and returns the replies before its ack; throws {@link NetlinkError}. */
  request(
    what: string,
    type: number,
    flags: number,
    body: Uint8Array,
    attrs: readonly NlAttr[] = [],
  ): NlMessage[] {
    const seq = this.#seq++;
    fileWrite(this.#fd, encodeMessage(type, flags | NLM_F.REQUEST | NLM_F.ACK, seq, body, attrs));
    const replies: NlMessage[] = [];
    for (;;) {
      replyBuffer ??= new Uint8Array(REPLY_BUFFER_SIZE);
      const n = fileReadInto(this.#fd, replyBuffer);
      for (const m of decodeMessages(replyBuffer.slice(0, n))) {
        if (m.seq !== seq) continue;
        if (m.type === NLMSG.ERROR) {
          const { errno, kernelMessage } = decodeError(m);
          if (errno === 0) return replies;
          throw new NetlinkError(errno, what, kernelMessage);
        }
        if (m.type === NLMSG.DONE) return replies;
        replies.push(m);
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

/** Runs `fn` with a fresh rtnetlink socket, closing it afterwards. */
export function withRtNetlink<T>(fn: (nl: RtNetlink) => T): T {
  const nl = new RtNetlink();
  try {
    return fn(nl);
  } finally {
    nl.close();
  }
}
