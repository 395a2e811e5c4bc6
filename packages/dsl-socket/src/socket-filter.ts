import {
  and,
  type DslPlugin,
  definePlugin,
  exit,
  type Fragment,
  fragment,
  jne,
  ldAbs,
  ldInd,
  ldx,
  lsh,
  mark,
  mov,
  PluginSection,
  R0,
  R1,
  R6,
  R7,
} from '@ts-ebpf/dsl';
import { type ByteOrder, byteOrderMistake, IpProto } from '@ts-ebpf/uapi';
import { SocketArgumentError } from './errors.js';
import { SK_BUFF, type SkBuffContext } from './sk-buff.js';

/** Socket filter return codes: the number of packet bytes to keep; 0 drops the packet. */
export const SOCKET_FILTER_RETURN_CODES = Object.freeze({ DROP: 0, KEEP_ALL: -1 } as const);

/**
 * `SKF_NET_OFF` (linux/filter.h): added to the offset of a legacy packet load (`ldAbs`,
 * `ldInd`), it counts from the network header whatever the socket sees first (an AF_PACKET
 * socket sees the link-layer header, an AF_INET raw socket the IP header).
 */
export const SKF_NET_OFF = -0x100000;

function swap16(v: number): number {
  return ((v & 0xff) << 8) | ((v >> 8) & 0xff);
}

function checkPort(port: number): number {
  if (!Number.isInteger(port) || port < 0 || port > 0xffff)
    throw new SocketArgumentError('port', `${port} is not a port number (0–65535)`);
  return port;
}

/** The socket filter plugin's templates: whole programs (bodies for `socketFilter().build(...)`). */
export const SOCKET_FILTER_TEMPLATES = Object.freeze({
  /** Keeps every packet whole. */
  acceptAll: (): Fragment => [mov(R0, SOCKET_FILTER_RETURN_CODES.KEEP_ALL), exit()],
  /** Drops every packet. */
  dropAll: (): Fragment => [mov(R0, SOCKET_FILTER_RETURN_CODES.DROP), exit()],
  /**
   * Keeps the first `bytes` bytes of every packet (an integer 0–2147483647, the counts a
   * 32-bit immediate gives as they are; 0 drops). Throws {@link SocketArgumentError} naming
   * `bytes` for any other value: a negative one would keep the whole packet.
   */
  truncate: (bytes: number): Fragment => {
    if (!Number.isInteger(bytes) || bytes < 0 || bytes > 0x7fffffff)
      throw new SocketArgumentError(
        'bytes',
        `${bytes} is not a byte count (0–2147483647; acceptAll() keeps every byte)`,
      );
    return [mov(R0, bytes), exit()];
  },
  /**
   * Keeps packets whose EtherType (`skb->protocol`, e.g. 0x0800) matches and drops the rest.
   * `skb->protocol` is in network byte order; `byteOrder` is the target's (HOST_BYTE_ORDER).
   * Throws {@link SocketArgumentError} naming `etherType` for a value that is not 0–0xffff and
   * `byteOrder` for one that is not `'little'` or `'big'`.
   */
  etherType: fragment((label, etherType: number, byteOrder: ByteOrder): Fragment => {
    if (!Number.isInteger(etherType) || etherType < 0 || etherType > 0xffff)
      throw new SocketArgumentError('etherType', `${etherType} is not an EtherType (0–0xffff)`);
    const mistake = byteOrderMistake(byteOrder);
    if (mistake !== undefined) throw new SocketArgumentError('byteOrder', mistake);
    return [
      ldx('w', R0, R6, SK_BUFF.fields.protocol.offset),
      jne(R0, byteOrder === 'little' ? swap16(etherType) : etherType, label('drop')),
      mov(R0, SOCKET_FILTER_RETURN_CODES.KEEP_ALL),
      exit(),
      mark(label('drop')),
      mov(R0, SOCKET_FILTER_RETURN_CODES.DROP),
      exit(),
    ];
  }),
  /**
   * Keeps only IPv4 UDP datagrams to destination port `port` (whole) and drops everything
   * else, on any socket type: the headers are read with legacy packet loads from the network
   * header ({@link SKF_NET_OFF}), which also convert to host byte order. A fragment other than
   * the first carries no UDP header (a packet socket sees fragments before reassembly) and is
   * dropped, whatever its payload holds where a port would be.
   */
  udpToPort: fragment((label, port: number): Fragment => {
    const p = checkPort(port);
    return [
      ldAbs('b', SKF_NET_OFF),
      mov(R7, R0),
      and(R0, 0xf0),
      jne(R0, 0x40, label('drop')),
      ldAbs('b', SKF_NET_OFF + 9),
      jne(R0, IpProto.UDP, label('drop')),
      // the fragment offset (the low 13 bits of bytes 6-7): non-zero in every fragment but the first
      ldAbs('h', SKF_NET_OFF + 6),
      and(R0, 0x1fff),
      jne(R0, 0, label('drop')),
      and(R7, 0x0f),
      lsh(R7, 2),
      ldInd('h', R7, SKF_NET_OFF + 2),
      jne(R0, p, label('drop')),
      mov(R0, SOCKET_FILTER_RETURN_CODES.KEEP_ALL),
      exit(),
      mark(label('drop')),
      mov(R0, SOCKET_FILTER_RETURN_CODES.DROP),
      exit(),
    ];
  }),
});

/** The socket filter plugin's type. */
export type SocketFilterPlugin = DslPlugin<
  SkBuffContext,
  typeof SOCKET_FILTER_RETURN_CODES,
  typeof SOCKET_FILTER_TEMPLATES
>;

/**
 * The plugin for `BPF_PROG_TYPE_SOCKET_FILTER` (section `socket`). Its prologue saves the
 * context in R6, as legacy packet loads (`ldAbs`/`ldInd`) require.
 */
export const socketFilterPlugin: SocketFilterPlugin = definePlugin({
  name: 'socket_filter',
  sections: ['socket'],
  context: SK_BUFF,
  returnCodes: SOCKET_FILTER_RETURN_CODES,
  prologue: (): Fragment => [mov(R6, R1)],
  templates: SOCKET_FILTER_TEMPLATES,
});

/** The socket filter plugin's section `socket`: `.load('len', R0, R6)`, `.ret('DROP')`, `.build(body)`. */
export function socketFilter(): PluginSection<
  SkBuffContext,
  typeof SOCKET_FILTER_RETURN_CODES,
  typeof SOCKET_FILTER_TEMPLATES
> {
  return new PluginSection(socketFilterPlugin, 'socket');
}
