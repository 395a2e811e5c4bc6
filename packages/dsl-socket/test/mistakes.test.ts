import { PluginError, R2, R3 } from '@ts-ebpf/dsl';
import { catalog } from '@ts-ebpf/test-utils';
import { describe } from 'vitest';
import {
  loadSock,
  msgApplyBytes,
  msgPullData,
  returnLength,
  SK_MSG_TEMPLATES,
  SOCKET_FILTER_TEMPLATES,
  SocketArgumentError,
  SocketFieldError,
  skRedirectHash,
  skRedirectMap,
  skSkb,
  sockMapUpdate,
} from '../src/index.js';

describe('dsl-socket: plausible mistakes get typed errors that name their subject', () => {
  catalog([
    {
      what: 'a port that is not one',
      act: () => SOCKET_FILTER_TEMPLATES.udpToPort(65536),
      error: SocketArgumentError,
      names: ['port', '65536'],
    },
    {
      what: 'a negative byte count to keep (it would keep every byte)',
      act: () => SOCKET_FILTER_TEMPLATES.truncate(-5),
      error: SocketArgumentError,
      names: ['bytes', '-5'],
    },
    {
      what: 'a byte count to keep that is not an integer',
      act: () => SOCKET_FILTER_TEMPLATES.truncate(1.5),
      error: SocketArgumentError,
      names: ['bytes', '1.5'],
    },
    {
      what: 'a byte count to keep that no 32-bit immediate holds',
      act: () => SOCKET_FILTER_TEMPLATES.truncate(2 ** 40),
      error: SocketArgumentError,
      names: ['bytes', String(2 ** 40)],
    },
    {
      what: 'an EtherType past 16 bits (it was compared as its low 16 bits, swapped)',
      act: () => SOCKET_FILTER_TEMPLATES.etherType(0x10800, 'little'),
      error: SocketArgumentError,
      names: ['etherType', String(0x10800)],
    },
    {
      what: 'no byte order for the EtherType compare (it was taken as big-endian)',
      act: () => SOCKET_FILTER_TEMPLATES.etherType(0x0800, undefined as unknown as 'little'),
      error: SocketArgumentError,
      names: ['byteOrder', 'undefined'],
    },
    {
      what: 'a negative length from a stream parser (it would stop the parser with an errno)',
      act: () => returnLength(-4),
      error: SocketArgumentError,
      names: ['length', '-4', 'need more data'],
    },
    {
      what: 'a stream parser length no 32-bit immediate holds',
      act: () => returnLength(2 ** 31),
      error: SocketArgumentError,
      names: ['length', String(2 ** 31)],
    },
    {
      what: 'a verdict returned by name from the stream parser (it returns a length)',
      act: () => skSkb('sk_skb/stream_parser').ret('SK_PASS' as never),
      error: PluginError,
      names: ["section 'sk_skb/stream_parser'", '"SK_PASS"', 'it has none', 'returnLength'],
    },
    {
      what: 'mark read through skb->sk, a sock_common pointer (the kernel refuses it)',
      act: () => loadSock('sock_common', 'mark', R3, R2),
      error: SocketFieldError,
      names: ['struct bpf_sock.mark', 'sock_common', 'bpf_sk_fullsock', 'skFullsock'],
    },
    {
      what: 'a bpf_sock field that does not exist',
      act: () => loadSock('sock', 'dst_ip' as 'dst_ip4', R3, R2),
      error: SocketFieldError,
      names: ["no field 'dst_ip'", 'dst_ip4'],
    },
    {
      what: 'an empty prefix',
      act: () => SK_MSG_TEMPLATES.verdictByFirstBytes(new Uint8Array(0)),
      error: SocketArgumentError,
      names: ['prefix'],
    },
    {
      what: 'a verdict that is not SK_PASS or SK_DROP',
      act: () =>
        SK_MSG_TEMPLATES.verdictByFirstBytes(Uint8Array.of(1), { otherwise: 'SK_REDIRECT' as 'SK_DROP' }),
      error: SocketArgumentError,
      names: ['otherwise', '"SK_REDIRECT"'],
    },
    {
      what: 'a sockmap key that is not a 32-bit integer',
      act: () => skRedirectMap('sockmap', 2 ** 32),
      error: SocketArgumentError,
      names: ['key', String(2 ** 32)],
    },
    {
      what: 'a sockhash key outside the stack',
      act: () => skRedirectHash('sockhash', { stack: 8 }),
      error: SocketArgumentError,
      names: ['key', 'r10 8'],
    },
    {
      what: 'a byte count that is not a 32-bit integer',
      act: () => msgApplyBytes(1.5),
      error: SocketArgumentError,
      names: ['bytes', '1.5'],
    },
    {
      what: 'a pull whose end is not past its start (the helper always returns -EINVAL)',
      act: () => msgPullData(8, 8),
      error: SocketArgumentError,
      names: ['end', '8', 'start 8'],
    },
    {
      what: 'a negative pull start (the helper takes a u32)',
      act: () => msgPullData(-1, R3),
      error: SocketArgumentError,
      names: ['start', '-1'],
    },
    {
      what: 'an update mode that is not one',
      act: () => sockMapUpdate('sockmap', R3, { mode: 'replace' as 'any' }),
      error: SocketArgumentError,
      names: ['mode', '"replace"'],
    },
    // A key slot with no room for the key, below the stack, or not an integer offset: each names keySlot.
    ...[-2, -600, -4.5].map((keySlot) => ({
      what: `key slot ${keySlot}`,
      act: () => sockMapUpdate('sockmap', 0, { keySlot }),
      error: SocketArgumentError,
      names: ['keySlot', String(keySlot)],
    })),
  ]);
});
