import { execFileSync, spawnSync } from 'node:child_process';
import { attachSocketFilter, inNetns, netnsPath, Program } from '@ts-ebpf/programs';
import { BpfSyscallError, bind, close, recvfrom, sendto, sockaddrIn, socket } from '@ts-ebpf/syscall';
import { describeKernel } from '@ts-ebpf/test-utils';
import { AddressFamily, HOST_BYTE_ORDER, IpProto, MsgFlag, SocketType } from '@ts-ebpf/uapi';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { SOCKET_FILTER_TEMPLATES, socketFilter } from '../src/index.js';

const ns = `tsebpf-sks${process.pid % 100000}`;
const path = netnsPath(ns);

/** The UDP payloads of every IPv4 packet waiting on the raw socket `fd` (after 20 + 8 header bytes). */
function payloads(fd: number): string[] {
  const out: string[] = [];
  const buf = new Uint8Array(512);
  for (;;) {
    try {
      const n = recvfrom(fd, buf, MsgFlag.DONTWAIT);
      out.push(new TextDecoder().decode(buf.subarray(28, n)));
    } catch (e) {
      if (e instanceof BpfSyscallError && e.code === 'EAGAIN') return out;
      throw e;
    }
  }
}

/** Sends one datagram from inside the namespace to 127.0.0.1:`port`. */
function sendUdp(port: number, text: string): void {
  const fd = inNetns(path, () => socket(AddressFamily.INET, SocketType.DGRAM, 0));
  try {
    bind(fd, sockaddrIn(0, '127.0.0.1'));
    sendto(fd, new TextEncoder().encode(text), 0, sockaddrIn(port, '127.0.0.1'));
  } finally {
    close(fd);
  }
}

/** A 60-byte Ethernet frame of EtherType `etherType`. */
function frame(etherType: number): Uint8Array {
  const f = new Uint8Array(60);
  f[12] = etherType >> 8;
  f[13] = etherType & 0xff;
  return f;
}

describeKernel('socket filters on real sockets', () => {
  beforeAll(() => {
    execFileSync('ip', ['netns', 'add', ns], { stdio: 'pipe' });
    execFileSync('ip', ['-n', ns, 'link', 'set', 'lo', 'up'], { stdio: 'pipe' });
  });
  afterAll(() => {
    spawnSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
  });

  it('udpToPort on a raw socket keeps only UDP to that port', () => {
    const raw = inNetns(path, () =>
      socket(AddressFamily.INET, SocketType.RAW | SocketType.NONBLOCK, IpProto.UDP),
    );
    try {
      sendUdp(5555, 'unfiltered-a');
      sendUdp(6666, 'unfiltered-b');
      expect(payloads(raw).sort()).toEqual(['unfiltered-a', 'unfiltered-b']);
      using p = Program.load(socketFilter().build(SOCKET_FILTER_TEMPLATES.udpToPort(5555)));
      using _l = attachSocketFilter(p, raw);
      sendUdp(6666, 'other port');
      sendUdp(5555, 'kept');
      sendUdp(5556, 'next port');
      expect(payloads(raw)).toEqual(['kept']);
    } finally {
      close(raw);
    }
  });

  it('udpToPort drops IPv4 fragments but the first, whatever their payload holds (test run)', () => {
    using p = Program.load(socketFilter().build(SOCKET_FILTER_TEMPLATES.udpToPort(5555)));
    // Ethernet, then IPv4 (20 bytes) whose payload's bytes 2-3 (a UDP header's destination port) are 5555
    const packet = (fragment: number, moreFragments: boolean) => {
      const f = frame(0x0800);
      f.set([0x45, 0, 0, 46, 0, 1], 14);
      const flags = (moreFragments ? 0x2000 : 0) | fragment;
      f.set([flags >> 8, flags & 0xff, 64, IpProto.UDP], 20);
      f.set([0x30, 0x39, 5555 >> 8, 5555 & 0xff], 34);
      return f;
    };
    expect(p.testRun({ data: packet(0, false) }).retval).toBe(0xffffffff);
    expect(p.testRun({ data: packet(0, true) }).retval).toBe(0xffffffff);
    // offset 185 × 8 bytes: the bytes where a port would be are the middle of the datagram
    expect(p.testRun({ data: packet(185, true) }).retval).toBe(0);
    expect(p.testRun({ data: packet(185, false) }).retval).toBe(0);
  });

  it('etherType keeps the frames of one EtherType (test run)', () => {
    using ip = Program.load(socketFilter().build(SOCKET_FILTER_TEMPLATES.etherType(0x0800, HOST_BYTE_ORDER)));
    expect(ip.testRun({ data: frame(0x0800) }).retval).toBe(0xffffffff);
    expect(ip.testRun({ data: frame(0x86dd) }).retval).toBe(0);
    using cut = Program.load(socketFilter().build(SOCKET_FILTER_TEMPLATES.truncate(20)));
    expect(cut.testRun({ data: frame(0x0800) }).retval).toBe(20);
  });
});
