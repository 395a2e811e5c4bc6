import * as d from '@ts-ebpf/dsl';
import { PluginError } from '@ts-ebpf/dsl';
import { attachSockmap, Program } from '@ts-ebpf/programs';
import { BpfMapType, mapCreate, mapLookupElem, mapUpdateElem } from '@ts-ebpf/syscall';
import { describeKernel, socketFd, thrownBy } from '@ts-ebpf/test-utils';
import { HOST_LITTLE_ENDIAN } from '@ts-ebpf/uapi';
import { describe, expect, it } from 'vitest';
import { returnLength, SOCKET_CTX, STREAM_PARSER_RETURN_CODES, skSkb, skSkbPlugin } from '../src/index.js';
import { u32, u64 } from './bytes.js';
import { eventually, loopbackEachTest, sleep, text } from './tcp.js';

const { R0, R1, R2, R3, R10 } = d;

/** Slots of the test's u64 array: how many messages the verdict saw, and the length a parser reads. */
const RUNS = 0;
const LENGTH = 1;

/** `r0 = &slot of array` or jump to `ifNull`. */
function slot(array: number, index: number, ifNull: string): d.Fragment {
  return [
    d.st('w', R10, -4, index),
    d.ldMapFd(R1, { fd: array }),
    d.mov(R2, R10),
    d.add(R2, -4),
    d.call('map_lookup_elem'),
    d.jeq(R0, 0, ifNull),
  ];
}

/** A verdict that passes the 1st, 3rd … message it sees and drops the others, counting them in slot RUNS. */
function everyOther(array: number): d.Fragment {
  const verdict = skSkb('sk_skb/stream_verdict');
  return [
    ...slot(array, RUNS, 'drop'),
    d.mov(R1, 1),
    d.atomic('add', 'dw', R0, R1, 0, true),
    d.jset(R1, 1, 'drop'),
    ...verdict.ret('SK_PASS'),
    d.mark('drop'),
    ...verdict.ret('SK_DROP'),
  ];
}

/** A parser returning the length user space wrote to slot LENGTH (all the data when there is none). */
function lengthFromMap(array: number): d.Fragment {
  return [
    ...slot(array, LENGTH, 'whole'),
    d.ldx('w', R3, R0, 0),
    ...returnLength(R3),
    d.mark('whole'),
    skSkb('sk_skb/stream_parser').load('len', R0, SOCKET_CTX),
    ...returnLength(R0),
  ];
}

describe('the stream parser section', () => {
  it('has no named return codes: ret("SK_PASS") is a PluginError naming the section and what it returns', () => {
    const parser = skSkb('sk_skb/stream_parser');
    expect(parser.returnCodes).toEqual(STREAM_PARSER_RETURN_CODES);
    expect(parser.returnCodes).toEqual({});
    // @ts-expect-error: the parser section has no SK_PASS
    const e = thrownBy(() => parser.ret('SK_PASS'));
    expect(e).toBeInstanceOf(PluginError);
    expect((e as Error).message).toBe(
      `plugin 'sk_skb', section 'sk_skb/stream_parser': "SK_PASS" is not a return code (it has none; it returns the length in bytes of the next message, 0 for "need more data" (returnLength))`,
    );
    // The verdict sections keep SK_PASS and SK_DROP.
    for (const name of ['sk_skb/stream_verdict', 'sk_skb/verdict', 'sk_skb'] as const) {
      expect(skSkb(name).returnCodes).toBe(skSkbPlugin.returnCodes);
      expect(d.format(skSkb(name).ret('SK_DROP'))).toBe('r0 = 0\nexit\n');
    }
  });

  it('returnLength: a constant or a register in r0, then exit', () => {
    expect(d.format(returnLength(4))).toBe('r0 = 4\nexit\n');
    expect(d.format(returnLength(R3))).toBe('r0 = r3\nexit\n');
    expect(d.format(returnLength(R0))).toBe('exit\n');
  });
});

describeKernel('a stream parser cuts what a TCP socket receives into the messages the verdict sees', () => {
  const bed = loopbackEachTest();

  /**
   * Sends twelve bytes in one write to a socket of a sockmap with `parser` and the verdict
   * {@link everyOther}: gives what the socket received and how many messages the verdict saw.
   */
  async function throughParser(parser: (array: number) => d.Fragment, length: number) {
    const sockmap = mapCreate({ mapType: BpfMapType.SOCKMAP, keySize: 4, valueSize: 4, maxEntries: 1 });
    const array = mapCreate({ mapType: BpfMapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: 2 });
    bed.fds.push(sockmap, array);
    const value = new Uint8Array(8);
    new DataView(value.buffer).setBigUint64(0, BigInt(length), HOST_LITTLE_ENDIAN);
    mapUpdateElem(array, u32(LENGTH), value);
    using p = Program.load(skSkb('sk_skb/stream_parser').build(parser(array)));
    using v = Program.load(skSkb('sk_skb/stream_verdict').build(everyOther(array)));
    using _p = attachSockmap(p, sockmap);
    using _v = attachSockmap(v, sockmap);
    const pair = await bed.net.pair();
    mapUpdateElem(sockmap, u32(0), u32(socketFd(pair.accepted)));
    pair.client.write('abcdefghijkl');
    const runs = (): number => {
      mapLookupElem(array, u32(RUNS), value);
      return u64(value);
    };
    await eventually(() => runs() === 12 / length);
    // Nothing more comes: the dropped messages never arrive.
    await sleep(100);
    return { received: text(pair.acceptedGot), runs: runs() };
  }

  it('returnLength(4): the verdict decides on three 4-byte messages, passing the 1st and 3rd', async () => {
    expect(await throughParser(() => returnLength(4), 4)).toEqual({ received: 'abcdijkl', runs: 3 });
  });

  it('returnLength(register): a length of 6 read from a map makes two messages, the 1st passed', async () => {
    expect(await throughParser(lengthFromMap, 6)).toEqual({ received: 'abcdef', runs: 2 });
  });
});
