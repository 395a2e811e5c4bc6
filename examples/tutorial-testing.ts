/**
 * Tutorial 11, testing BPF code: run an XDP program on hand-made packets with
 * Program.testRun (no interface, no traffic), check its verdicts, gate on the kernel's
 * capabilities, and check that no file descriptor leaked. docs/tutorials/11-testing.md
 * walks through it, with the same checks as a vitest file (examples/testing/port-filter.test.ts).
 *
 *   npx tsx --conditions=@ts-ebpf/source examples/tutorial-testing.ts
 */
import { strict as assert } from 'node:assert';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { portFilter, XdpAction, xdp } from '@ts-ebpf/dsl-xdp';
import { Program } from '@ts-ebpf/programs';
import { HOST_BYTE_ORDER } from '@ts-ebpf/uapi';
import { udpFrame } from './testing/udp-packet.js';

// 1. Kernel gating: loading needs CAP_BPF (or CAP_SYS_ADMIN). Say so instead of failing obscurely.
const capEff = BigInt(`0x${/CapEff:\s*(\w+)/.exec(readFileSync('/proc/self/status', 'utf8'))![1]}`);
const CAP_SYS_ADMIN = 21n;
const CAP_BPF = 39n;
if (!((capEff >> CAP_BPF) & 1n) && !((capEff >> CAP_SYS_ADMIN) & 1n)) {
  console.log('skipped: this process lacks CAP_BPF and CAP_SYS_ADMIN (run as root)');
  process.exit(0);
}
console.log('kernel gate: CAP_BPF or CAP_SYS_ADMIN present');

const verdict = (code: number) =>
  Object.entries(XdpAction).find(([, value]) => value === code)?.[0] ?? `unknown (${code})`;

// 2. The BPF objects (programs, maps, links: fds whose link reads anon_inode:bpf-…) open before
//    the test, to compare with afterwards. Not every fd: Node's and tsx's own (a cache file being
//    written, say) open and close on their own schedule. An fd that closes between the listing
//    and its readlink is not a BPF object of ours.
const bpfFds = () =>
  readdirSync('/proc/self/fd').filter((fd) => {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`).startsWith('anon_inode:bpf');
    } catch {
      return false;
    }
  }).length;
const fdsBefore = bpfFds();

// 3. Load once, run many times: testRun hands the packet to the program in the kernel and
//    returns its return value (the XDP verdict) and, for packet programs, the packet after it.
{
  using filter = Program.load(
    xdp().build(portFilter({ byteOrder: HOST_BYTE_ORDER, ports: [53], protocols: ['udp'] })),
  );
  const cases = [
    { port: 53, expect: XdpAction.DROP },
    { port: 54, expect: XdpAction.PASS },
    { port: 443, expect: XdpAction.PASS },
  ];
  for (const { port, expect } of cases) {
    const { retval, data } = filter.testRun({ data: udpFrame(port) });
    assert.equal(retval, expect, `UDP to port ${port}`);
    console.log(`UDP to port ${port}: ${verdict(retval)} (${data.byteLength} bytes out)`);
  }
  // A frame too short for an IPv4 header must pass untouched, not be read past its end.
  assert.equal(filter.testRun({ data: udpFrame(53).subarray(0, 20) }).retval, XdpAction.PASS);
  console.log('truncated frame: PASS');
  // Timing: repeat runs the program N times in the kernel and reports the mean.
  const { duration } = filter.testRun({ data: udpFrame(53), repeat: 1000 });
  console.log(`mean run time over 1000 runs: ${duration} ns`);
}

// 4. Leak check: `using` closed the program, so the fd count is back where it was.
const fdsAfter = bpfFds();
assert.equal(fdsAfter, fdsBefore, 'file descriptors leaked');
console.log('no file descriptor leaked');
