/**
 * Tutorial 11's checks as a vitest file: the port filter's verdicts on hand-made packets,
 * gated on the kernel's capabilities, with a file-descriptor leak check after the file.
 * Runs in this repository's `docs` vitest project (test/docs/vitest.config.ts).
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { portFilter, XdpAction, xdp } from '@ts-ebpf/dsl-xdp';
import { Program } from '@ts-ebpf/programs';
import { HOST_BYTE_ORDER } from '@ts-ebpf/uapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { udpFrame } from './udp-packet.js';

// Kernel gating: without CAP_BPF / CAP_SYS_ADMIN the suite is skipped with its reason, unless
// CI demands the kernel (REQUIRE_KERNEL=1), where skipping would hide a broken machine.
const capEff = BigInt(`0x${/CapEff:\s*(\w+)/.exec(readFileSync('/proc/self/status', 'utf8'))![1]}`);
const mayLoad = ((capEff >> 39n) & 1n) === 1n || ((capEff >> 21n) & 1n) === 1n;
if (!mayLoad && process.env.REQUIRE_KERNEL === '1') throw new Error('REQUIRE_KERNEL=1 but no CAP_BPF');

describe.skipIf(!mayLoad)('port filter (needs CAP_BPF)', () => {
  // Leak check: every program and map a test opens must be closed by the end of the file. It
  // counts the BPF objects (fds whose link reads anon_inode:bpf-…), not every fd: Node's and
  // vitest's own open and close on their own schedule.
  const bpfFdCount = () =>
    readdirSync('/proc/self/fd').filter((fd) => {
      try {
        return readlinkSync(`/proc/self/fd/${fd}`).startsWith('anon_inode:bpf');
      } catch {
        return false; // closed since the listing: not one of ours
      }
    }).length;
  let bpfFdsBefore = 0;
  beforeAll(() => {
    bpfFdsBefore = bpfFdCount();
  });
  afterAll(() => {
    expect(bpfFdCount()).toBe(bpfFdsBefore);
  });

  const load = () =>
    Program.load(xdp().build(portFilter({ byteOrder: HOST_BYTE_ORDER, ports: [53], protocols: ['udp'] })));

  it.each([
    [53, XdpAction.DROP],
    [54, XdpAction.PASS],
  ])('UDP to port %i gets verdict %i', (port, verdict) => {
    using filter = load();
    expect(filter.testRun({ data: udpFrame(port) }).retval).toBe(verdict);
  });

  it('passes a frame too short for an IPv4 header', () => {
    using filter = load();
    expect(filter.testRun({ data: udpFrame(53).subarray(0, 20) }).retval).toBe(XdpAction.PASS);
  });
});
