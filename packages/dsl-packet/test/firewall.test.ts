import { assemble } from '@ts-ebpf/dsl';
import { close, mapLookupElem, mapUpdateElem, possibleCpuCount, progTestRun } from '@ts-ebpf/syscall';
import { describeKernel } from '@ts-ebpf/test-utils';
import { HOST_BYTE_ORDER } from '@ts-ebpf/uapi';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { compileFirewall, relocateFirewall } from '../bench/c-firewall.js';
import { Counter, type FirewallMaps, firewall } from '../bench/firewall.js';
import { closeFirewallMaps, createFirewallMaps, loadXdp, PACKETS } from '../bench/harness.js';
import { eth, frames, ipv4, udp } from './support/frames.js';

const little = HOST_BYTE_ORDER === 'little';

/** A later fragment (offset 1) from an unblocked source with an IHL of 4: dropped as invalid. */
const LATER_FRAGMENT_IHL_4 = (() => {
  const ip = ipv4(17, 16, 0, 4, 1);
  ip.splice(12, 4, 198, 18, 0, 1);
  return Uint8Array.from([...eth(0x0800), ...ip, ...udp(1000, 53, 8), ...new Array(8).fill(0)]);
})();

/** The counters summed over CPUs, then zeroed. */
function takeCounters(maps: FirewallMaps, cpus: number): number[] {
  const out: number[] = [];
  const value = new Uint8Array(8 * cpus);
  const view = new DataView(value.buffer);
  for (let i = 0; i < Counter.COUNT; i++) {
    const key = new Uint8Array(4);
    new DataView(key.buffer).setUint32(0, i, little);
    mapLookupElem(maps.counters, key, value);
    let sum = 0;
    for (let c = 0; c < cpus; c++) sum += Number(view.getBigUint64(c * 8, little));
    out.push(sum);
    mapUpdateElem(maps.counters, key, new Uint8Array(8 * cpus));
  }
  return out;
}

describeKernel('the benchmark firewall: dsl-packet build and clang build decide alike', () => {
  let maps: FirewallMaps;
  const fds: { c: number; d: number } = { c: -1, d: -1 };
  let cpus = 0;
  beforeAll(() => {
    maps = createFirewallMaps();
    fds.c = loadXdp(relocateFirewall(compileFirewall(), maps), 'fw_clang').fd;
    fds.d = loadXdp(
      assemble(firewall(maps, HOST_BYTE_ORDER).instructions, { byteOrder: HOST_BYTE_ORDER }),
      'fw_dsl',
    ).fd;
    cpus = possibleCpuCount();
  });
  afterAll(() => {
    for (const fd of [fds.c, fds.d]) if (fd >= 0) close(fd);
    closeFirewallMaps(maps);
  });

  it('gives the expected verdict per packet class and counts it', () => {
    for (const p of PACKETS) {
      expect(progTestRun({ progFd: fds.d, dataIn: p.frame }).retval, p.name).toBe(p.verdict);
    }
    const counts = takeCounters(maps, cpus);
    // other (ARP, the later fragment), tcp (v4 and v6), udp (none passed), icmp, blocked (two
    // sources, one of them a later fragment's, and a port)
    expect(counts).toEqual([2, 2, 0, 1, 3]);
  });

  it('matches the clang build, verdict and counters, on every frame truncated at every byte', () => {
    const all = [...PACKETS.map((p) => p.frame), ...frames().map((f) => f.bytes), LATER_FRAGMENT_IHL_4];
    for (const frame of all)
      for (let len = 14; len <= frame.length; len++) {
        const cut = frame.subarray(0, len);
        const c = progTestRun({ progFd: fds.c, dataIn: cut }).retval;
        const cCounts = takeCounters(maps, cpus);
        const d = progTestRun({ progFd: fds.d, dataIn: cut }).retval;
        expect(
          [d, takeCounters(maps, cpus)],
          `${len} bytes of ${Buffer.from(frame).toString('hex')}`,
        ).toEqual([c, cCounts]);
      }
  });
});
