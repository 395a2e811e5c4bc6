import { describeKernel } from '@ts-ebpf/test-utils';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { frames } from './support/frames.js';
import { PROG_TYPES, RecordMap, runParse, withLoaded } from './support/kernel.js';
import { CONTEXTS, parseProgram } from './support/parse-program.js';
import { referenceParse, Stage } from './support/reference.js';

/**
 * The shortest frame BPF_PROG_TEST_RUN takes: an Ethernet header; for an skb (tc) whose
 * EtherType is IPv4 or IPv6, also the IP header (the kernel pulls it and refuses less with EINVAL).
 */
function shortest(kind: 'xdp' | 'tc', frame: Uint8Array): number {
  if (kind === 'xdp') return 14;
  const et = (frame[12]! << 8) | frame[13]!;
  return et === 0x0800 ? 34 : et === 0x86dd ? 54 : 14;
}

describeKernel('parsers against the reference parser, through BPF_PROG_TEST_RUN', () => {
  let map: RecordMap;
  beforeAll(() => {
    map = new RecordMap();
  });
  afterAll(() => map.close());

  for (const kind of ['xdp', 'tc'] as const) {
    it(`${kind}: every crafted frame, truncated at every byte boundary, parses as the reference does`, () => {
      withLoaded(parseProgram(CONTEXTS[kind], map.fd), PROG_TYPES[kind], (fd) => {
        const seen = new Set<number>();
        for (const f of frames()) {
          for (let len = shortest(kind, f.bytes); len <= f.bytes.length; len++) {
            const cut = f.bytes.subarray(0, len);
            const want = referenceParse(cut);
            expect(runParse(fd, map, cut), `${f.name}, first ${len} of ${f.bytes.length} bytes`).toEqual(
              want,
            );
            seen.add(want.status);
          }
        }
        // Every stage's miss and the full parse were exercised.
        expect([...seen].sort((a, b) => a - b)).toEqual(Object.values(Stage));
      });
    });
  }

  it('the whole frames give the expected fields (the reference is itself right)', () => {
    const byName = new Map(frames().map((f) => [f.name, referenceParse(f.bytes)]));
    expect(byName.get('IPv4 UDP, QinQ (802.1ad + 802.1Q)')).toMatchObject({
      etherType: 0x0800,
      vlan0: 300,
      vlan1: 42,
      l3: 22,
      l4: 42,
      a: 5353,
      b: 53,
      status: Stage.DONE,
    });
    expect(byName.get('IPv4 TCP with options and TCP options')).toMatchObject({
      l3: 14,
      l4: 74,
      a: 22,
      b: 2222,
      flags: 0x12,
    });
    expect(byName.get('IPv6 hop-by-hop, routing, fragment, destination options, UDP')).toMatchObject({
      etherType: 0x86dd,
      protocol: 17,
      l4: 14 + 40 + 8 + 24 + 8 + 16,
      b: 53,
    });
    expect(byName.get('IPv6 five extension headers (one more than the bound)')).toMatchObject({
      protocol: 60,
      l4: 14 + 40 + 32,
    });
    expect(byName.get('three tags (one more than the bound)')).toMatchObject({
      etherType: 0x8100,
      vlan0: 1,
      vlan1: 2,
      l3: 22,
    });
    expect(byName.get('IPv4 with IHL 4 (invalid)')).toMatchObject({ status: Stage.IHL, protocol: 0 });
    // A first fragment has the L4 header; a later one has none (the bytes after IP are payload).
    expect(byName.get('IPv4 UDP, first fragment (MF)')).toMatchObject({ status: Stage.DONE, b: 53 });
    expect(byName.get('IPv6 UDP, first fragment (M)')).toMatchObject({
      status: Stage.DONE,
      protocol: 17,
      b: 53,
    });
    for (const later of [
      'IPv4 UDP, last fragment (offset 185)',
      'IPv4 TCP with options, middle fragment, 802.1Q tag',
      'IPv6 hop-by-hop, UDP, last fragment (offset 100)',
    ])
      expect(byName.get(later), later).toMatchObject({ status: Stage.LATER_FRAGMENT, protocol: 0, b: 0 });
  });
});
