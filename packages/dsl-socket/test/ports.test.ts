import * as d from '@ts-ebpf/dsl';
import { attachSockmap, Program } from '@ts-ebpf/programs';
import { BpfMapType, mapCreate, mapLookupElem, mapUpdateElem } from '@ts-ebpf/syscall';
import { describeKernel, socketFd } from '@ts-ebpf/test-utils';
import { HOST_LITTLE_ENDIAN } from '@ts-ebpf/uapi';
import { describe, expect, it } from 'vitest';
import {
  loadPort,
  SK_SKB_TEMPLATES,
  SocketArgumentError,
  skMsg,
  skSkb,
  socketFilter,
  sockOps,
} from '../src/index.js';
import { u32 } from './bytes.js';
import { eventually, loopbackEachTest } from './tcp.js';

const { R0, R1, R2, R3, R10 } = d;

/** A program body storing both ports (loadPort) at slot 0 of the 8-byte array map `arr`, then `verdict`. */
function recordPorts(section: Parameters<typeof loadPort>[0], arr: number): d.Fragment {
  return [
    d.st('w', R10, -4, 0),
    d.ldMapFd(R1, { fd: arr }),
    d.mov(R2, R10),
    d.add(R2, -4),
    d.call('map_lookup_elem'),
    d.jeq(R0, 0, 'out'),
    d.mov(d.R7, R0),
    ...loadPort(section, 'remote', R3),
    d.stx('w', d.R7, R3, 0),
    ...loadPort(section, 'local', R3),
    d.stx('w', d.R7, R3, 4),
    d.mark('out'),
    d.mov(R0, 1),
    d.exit(),
  ];
}

describe('loadPort', () => {
  it('converts remote_port with be32 (its port is in the upper half on little-endian) and loads local_port as is', () => {
    expect(d.format(d.program(loadPort(skMsg(), 'remote', R3)))).toBe(
      'r3 = *(u32 *)(r6 + 60)\nr3 = be32 r3\n',
    );
    expect(d.format(d.program(loadPort(sockOps(), 'local', R3)))).toBe('r3 = *(u32 *)(r6 + 68)\n');
  });

  it('refuses a section that may not read ports, and a port that is not one', () => {
    expect(() => loadPort(socketFilter(), 'remote', R3)).toThrow(d.ContextAccessError);
    expect(() => loadPort(skSkb(), 'both' as 'local', R3)).toThrow(SocketArgumentError);
  });
});

describeKernel('loadPort on a TCP connection', () => {
  const bed = loopbackEachTest();

  async function ports(
    section: Parameters<typeof loadPort>[0],
    parser: boolean,
  ): Promise<[number, number, number, number]> {
    const sm = mapCreate({ mapType: BpfMapType.SOCKMAP, keySize: 4, valueSize: 4, maxEntries: 1 });
    const arr = mapCreate({ mapType: BpfMapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: 1 });
    bed.fds.push(sm, arr);
    using p = Program.load((section as unknown as d.PluginSection).build(recordPorts(section, arr)));
    using _l = attachSockmap(p, sm);
    using pp = parser
      ? Program.load(skSkb('sk_skb/stream_parser').build(SK_SKB_TEMPLATES.wholeBuffer()))
      : undefined;
    using _pl = pp ? attachSockmap(pp, sm) : undefined;
    const pair = await bed.net.pair();
    const side = parser ? pair.accepted : pair.client;
    mapUpdateElem(sm, u32(0), u32(socketFd(side)));
    pair.client.write('x');
    if (parser) pair.client.write('y');
    const out = new Uint8Array(8);
    await eventually(() => {
      mapLookupElem(arr, u32(0), out);
      return out.some((b) => b !== 0);
    });
    const v = new DataView(out.buffer);
    return [
      v.getUint32(0, HOST_LITTLE_ENDIAN),
      v.getUint32(4, HOST_LITTLE_ENDIAN),
      side.remotePort!,
      side.localPort!,
    ];
  }

  it('sk_msg: both ports of the sending socket in host byte order', async () => {
    const [remote, local, wantRemote, wantLocal] = await ports(skMsg(), false);
    expect({ remote, local }).toEqual({ remote: wantRemote, local: wantLocal });
  });

  it('sk_skb: both ports of the receiving socket in host byte order', async () => {
    const [remote, local, wantRemote, wantLocal] = await ports(skSkb('sk_skb/stream_verdict'), true);
    expect({ remote, local }).toEqual({ remote: wantRemote, local: wantLocal });
  });
});
