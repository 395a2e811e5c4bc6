import { jge, ldx, mark, R2, R3, sub } from '@ts-ebpf/dsl';
import {
  ArrayMap,
  bytes,
  DevMapHash,
  HashMap,
  LpmTrie,
  PerCpuArrayMap,
  u32,
  u64,
  XskMap,
} from '@ts-ebpf/maps';
import { Program } from '@ts-ebpf/programs';
import { describeKernel, type FrameOptions, frame } from '@ts-ebpf/test-utils';
import { HOST_BYTE_ORDER, XdpAction } from '@ts-ebpf/uapi';
import { describe, expect, it } from 'vitest';
import {
  afXdpRedirect,
  dropByProtocol,
  ipv4Blocklist,
  l2Forward,
  macSwapTx,
  PROTOCOL_COUNTER_OTHER,
  portFilter,
  protocolCounters,
  XDP_CTX,
  XDP_MD,
  XDP_TEMPLATES,
  XdpArgumentError,
  xdp,
  xdpPlugin,
} from '../src/index.js';
import { xdpMd } from './support.js';

const byteOrder = HOST_BYTE_ORDER;
const V4 = { v4: { src: '192.0.2.1', dst: '198.51.100.7' } } as const;
const QINQ: FrameOptions['vlans'] = [
  [0x88a8, 10],
  [0x8100, 20],
];

/** The crafted frames every template runs on, with their name and what a reference parser sees. */
interface Case {
  readonly name: string;
  readonly bytes: Uint8Array;
  /** The IP protocol (after IPv6 extension headers), or undefined for non-IP / truncated. */
  readonly proto?: number;
  readonly tcpPort?: number;
  readonly udpPort?: number;
  readonly v4src?: string;
}

function cases(): Case[] {
  const out: Case[] = [];
  const add = (name: string, o: FrameOptions, c: Omit<Case, 'name' | 'bytes'>) =>
    out.push({ name, bytes: frame(o), ...c });
  for (const [vname, vlans] of [
    ['', undefined],
    [' qinq', QINQ],
  ] as const) {
    const base = vlans ? { vlans } : {};
    add(
      `ipv4 udp${vname}`,
      { ...base, ip: V4, l4: { udp: { sport: 1, dport: 53 } } },
      {
        proto: 17,
        udpPort: 53,
        v4src: '192.0.2.1',
      },
    );
    add(
      `ipv4 options tcp${vname}`,
      { ...base, ip: { v4: { ...V4.v4, optionWords: 3 } }, l4: { tcp: { sport: 1, dport: 22 } } },
      { proto: 6, tcpPort: 22, v4src: '192.0.2.1' },
    );
    add(
      `ipv4 icmp${vname}`,
      { ...base, ip: { v4: { src: '203.0.113.9', dst: '10.0.0.1' } }, l4: { icmp: { type: 8, code: 0 } } },
      {
        proto: 1,
        v4src: '203.0.113.9',
      },
    );
    add(
      `ipv6 udp${vname}`,
      { ...base, ip: { v6: {} }, l4: { udp: { sport: 1, dport: 53 } } },
      { proto: 17, udpPort: 53 },
    );
    add(
      `ipv6 ext tcp${vname}`,
      { ...base, ip: { v6: { extensions: [0, 60] } }, l4: { tcp: { sport: 1, dport: 443 } } },
      { proto: 6, tcpPort: 443 },
    );
    add(
      `ipv6 icmpv6${vname}`,
      { ...base, ip: { v6: {} }, l4: { proto: 58, payload: new Uint8Array(8) } },
      { proto: 58 },
    );
    add(`arp${vname}`, { ...base, ip: { etherType: 0x0806, payload: new Uint8Array(28) } }, {});
    // A first fragment (MF / M set) has the UDP header; a later one has none: what follows the
    // IP header is payload, here bytes that look like the same UDP header.
    const udp53 = { udp: { sport: 1, dport: 53 } };
    add(
      `ipv4 udp first fragment${vname}`,
      { ...base, ip: { v4: { ...V4.v4, fragOff: 0x2000 } }, l4: udp53 },
      { proto: 17, udpPort: 53, v4src: '192.0.2.1' },
    );
    add(
      `ipv4 udp later fragment${vname}`,
      { ...base, ip: { v4: { ...V4.v4, fragOff: 185 } }, l4: udp53 },
      { proto: 17, v4src: '192.0.2.1' },
    );
    add(
      `ipv6 udp first fragment${vname}`,
      { ...base, ip: { v6: { fragOff: 1 } }, l4: udp53 },
      { proto: 17, udpPort: 53 },
    );
    add(
      `ipv6 udp later fragment${vname}`,
      { ...base, ip: { v6: { extensions: [0], fragOff: 100 << 3 } }, l4: udp53 },
      { proto: 17 },
    );
  }
  // every truncation of two frames: the reference knows what the bytes present allow
  const cuts = [
    { full: out[0]!, l3End: 14 + 20, l4End: 14 + 20 + 8 },
    { full: out[4]!, l3End: 14 + 40 + 16, l4End: 14 + 40 + 16 + 20 },
  ];
  for (const { full, l3End, l4End } of cuts) {
    for (let n = 0; n < full.bytes.length; n++) {
      out.push({
        name: `${full.name} cut at ${n}`,
        bytes: full.bytes.slice(0, n),
        ...(n >= l3End && { proto: full.proto }),
        ...(n >= l3End && full.v4src && { v4src: full.v4src }),
        ...(n >= l4End && full.udpPort && { udpPort: full.udpPort }),
        ...(n >= l4End && full.tcpPort && { tcpPort: full.tcpPort }),
      });
    }
  }
  return out;
}

const CASES = cases();

/** Loads the template body as an `xdp` program and runs it once on every case. */
function runAll(
  body: Parameters<ReturnType<typeof xdp>['build']>[0],
  each: (c: Case, retval: number, out: Uint8Array) => void,
): void {
  using p = Program.load(xdp().build(body));
  for (const c of CASES) {
    // the kernel refuses test runs on frames shorter than an Ethernet header
    if (c.bytes.length < 14) continue;
    const r = p.testRun({ data: c.bytes });
    each(c, r.retval, r.data);
  }
}

describe('the XDP plugin offers the templates', () => {
  it("lists every template as the plugin's own", () => {
    const all = {
      afXdpRedirect,
      dropByProtocol,
      ipv4Blocklist,
      l2Forward,
      macSwapTx,
      portFilter,
      protocolCounters,
    };
    for (const [name, template] of Object.entries(all))
      expect([name, XDP_TEMPLATES[name as keyof typeof all]]).toEqual([name, template]);
    expect(xdpPlugin.templates).toBe(XDP_TEMPLATES);
  });
});

describeKernel('XDP templates through BPF_PROG_TEST_RUN', () => {
  it('dropByProtocol drops the listed protocols over IPv4/IPv6 and VLANs, passes the rest', () => {
    runAll(dropByProtocol({ byteOrder, protocols: [1, 58, 17] }), (c, retval) => {
      const drop = c.proto !== undefined && [1, 58, 17].includes(c.proto);
      expect([c.name, retval]).toEqual([c.name, drop ? XdpAction.DROP : XdpAction.PASS]);
    });
  });

  it('portFilter drops TCP/UDP destination ports as asked, per protocol', () => {
    runAll(portFilter({ byteOrder, ports: [22, 53] }), (c, retval) => {
      const match = c.tcpPort === 22 || c.udpPort === 53;
      expect([c.name, retval]).toEqual([c.name, match ? XdpAction.DROP : XdpAction.PASS]);
    });
    runAll(portFilter({ byteOrder, ports: [443, 53], protocols: ['tcp'], action: 'XDP_TX' }), (c, retval) => {
      expect([c.name, retval]).toEqual([c.name, c.tcpPort === 443 ? XdpAction.TX : XdpAction.PASS]);
    });
  });

  it('ipv4Blocklist drops sources inside an LPM prefix', () => {
    using trie = LpmTrie.create({ addr: bytes(4), value: u32, maxEntries: 16 });
    trie.set({ prefixLen: 24, addr: Uint8Array.of(203, 0, 113, 0) }, 1);
    runAll(ipv4Blocklist({ byteOrder, map: trie }), (c, retval) => {
      const blocked = c.v4src?.startsWith('203.0.113.') ?? false;
      expect([c.name, retval]).toEqual([c.name, blocked ? XdpAction.DROP : XdpAction.PASS]);
    });
  });

  it('protocolCounters counts each frame under its protocol (others under 256)', () => {
    using counts = ArrayMap.create({ value: u64, maxEntries: 257 });
    const expected = new Map<number, bigint>();
    runAll(protocolCounters({ byteOrder, map: counts }), (c, retval) => {
      expect(retval).toBe(XdpAction.PASS);
      const k = c.proto ?? PROTOCOL_COUNTER_OTHER;
      expected.set(k, (expected.get(k) ?? 0n) + 1n);
    });
    for (const k of [1, 6, 17, 58, PROTOCOL_COUNTER_OTHER]) {
      expect([k, counts.get(k)]).toEqual([k, expected.get(k)]);
    }
  });

  it('protocolCounters and ipv4Blocklist refuse a map that would count or match nothing', () => {
    using small = PerCpuArrayMap.create({ value: u64, maxEntries: 10 });
    expect(() => protocolCounters({ byteOrder, map: small })).toThrow(
      new XdpArgumentError('protocolCounters map', 'it has 10 entries, fewer than the 257 the template uses'),
    );
    using narrow = ArrayMap.create({ value: u32, maxEntries: 257 });
    expect(() => protocolCounters({ byteOrder, map: narrow })).toThrow(
      /protocolCounters map: its values are 4 bytes, not 8/,
    );
    using hash = HashMap.create({ key: u32, value: u64, maxEntries: 300 });
    expect(() => protocolCounters({ byteOrder, map: hash })).toThrow(
      /protocolCounters map: its type is hash, not array or percpu_array/,
    );
    expect(() => ipv4Blocklist({ byteOrder, map: hash })).toThrow(
      /ipv4Blocklist map: its type is hash, not lpm_trie; its keys are 4 bytes, not 8/,
    );
    using v6 = LpmTrie.create({ addr: bytes(16), value: u32, maxEntries: 16 });
    expect(() => ipv4Blocklist({ byteOrder, map: v6 })).toThrow(
      /ipv4Blocklist map: its keys are 20 bytes, not 8/,
    );
    // a per-CPU array of 257 u64 is what the guide names: accepted
    using fine = PerCpuArrayMap.create({ value: u64, maxEntries: 257 });
    expect(protocolCounters({ byteOrder, map: fine }).length).toBeGreaterThan(0);
  });

  it('macSwapTx swaps the MAC addresses and returns XDP_TX', () => {
    runAll(macSwapTx({ byteOrder }), (c, retval, out) => {
      expect(retval).toBe(XdpAction.TX);
      expect(out.subarray(0, 6)).toEqual(c.bytes.subarray(6, 12));
      expect(out.subarray(6, 12)).toEqual(c.bytes.subarray(0, 6));
      expect(out.subarray(12)).toEqual(c.bytes.subarray(12));
    });
  });

  it('afXdpRedirect redirects by queue (or only UDP to a port) with its fallback', () => {
    using xsks = XskMap.create({ maxEntries: 4 });
    // an empty slot: the fallback
    runAll(afXdpRedirect({ byteOrder, map: xsks }), (_c, retval) => expect(retval).toBe(XdpAction.PASS));
    runAll(afXdpRedirect({ byteOrder, map: xsks, fallback: 'XDP_DROP', udpPort: 53 }), (c, retval) => {
      expect([c.name, retval]).toEqual([c.name, c.udpPort === 53 ? XdpAction.DROP : XdpAction.PASS]);
    });
  });

  it('l2Forward redirects through the devmap entry of the ingress interface', () => {
    using devs = DevMapHash.create({ key: u32, maxEntries: 4 });
    devs.set(1, 1); // lo → lo
    using p = Program.load(xdp().build(l2Forward({ map: devs })));
    const data = CASES[0]!.bytes;
    expect(p.testRun({ data, ctx: xdpMd({ dataEnd: data.length, ingressIfindex: 1 }) }).retval).toBe(
      XdpAction.REDIRECT,
    );
    // no entry for this interface: the fallback
    using q = Program.load(xdp().build(l2Forward({ map: devs, fallback: 'XDP_DROP' })));
    devs.delete(1);
    expect(q.testRun({ data, ctx: xdpMd({ dataEnd: data.length, ingressIfindex: 1 }) }).retval).toBe(
      XdpAction.DROP,
    );
  });

  it('the same template twice in one program assembles and loads (fresh labels)', () => {
    // frames of 100 bytes or more lose ICMP, shorter ones TCP
    using p = Program.load(
      xdp().build([
        ldx('w', R2, XDP_CTX, XDP_MD.fields.data.offset),
        ldx('w', R3, XDP_CTX, XDP_MD.fields.data_end.offset),
        sub(R3, R2),
        jge(R3, 100, 'long'),
        dropByProtocol({ byteOrder, protocols: [6] }),
        mark('long'),
        dropByProtocol({ byteOrder, protocols: [1] }),
      ]),
    );
    const pad = { payload: new Uint8Array(80) };
    const icmp = (long: boolean) => frame({ ip: V4, l4: { icmp: { type: 8, code: 0 }, ...(long && pad) } });
    const tcp = (long: boolean) => frame({ ip: V4, l4: { tcp: { sport: 1, dport: 2 }, ...(long && pad) } });
    const on = (data: Uint8Array) => p.testRun({ data }).retval;
    expect([on(icmp(false)), on(tcp(false)), on(icmp(true)), on(tcp(true))]).toEqual([
      XdpAction.PASS,
      XdpAction.DROP,
      XdpAction.DROP,
      XdpAction.PASS,
    ]);
  });
});

describe('template options', () => {
  it('are checked and named before anything is built', () => {
    expect(() => dropByProtocol({ byteOrder, protocols: [] })).toThrow(XdpArgumentError);
    expect(() => dropByProtocol({ byteOrder, protocols: [300] })).toThrow(/protocols.*300/);
    expect(() => portFilter({ byteOrder, ports: [70000] })).toThrow(/ports.*70000/);
    expect(() => portFilter({ byteOrder, ports: [1], protocols: ['sctp' as 'tcp'] })).toThrow(/protocols/);
    expect(() => afXdpRedirect({ byteOrder, map: 'x', udpPort: -1 })).toThrow(/udpPort/);
    expect(() => macSwapTx({ byteOrder, short: 'XDP_BOGUS' as 'XDP_DROP' })).toThrow(/short-frame action/);
  });
});
