import { readFileSync } from 'node:fs';
import { AddressFamily, IpProto, MsgFlag, SocketLevel, SocketOption, SocketType } from '@ts-ebpf/uapi';
import { describe, expect, it } from 'vitest';
import {
  BpfArgumentError,
  bind,
  close,
  connect,
  getsockname,
  getsockopt,
  recvfrom,
  sendto,
  setsockopt,
  sockaddrIn,
  sockaddrInPort,
  socket,
} from '../src/index.js';

describe('socket wrappers', () => {
  it('encodes sockaddr_in and rejects bad addresses before any call', () => {
    expect([...sockaddrIn(0x1234, '10.1.2.3')]).toEqual([
      2, 0, 0x12, 0x34, 10, 1, 2, 3, 0, 0, 0, 0, 0, 0, 0, 0,
    ]);
    expect(sockaddrInPort(sockaddrIn(8080))).toBe(8080);
    expect(() => sockaddrIn(70000)).toThrow(BpfArgumentError);
    expect(() => sockaddrIn(1, '10.0.0')).toThrow(/not a dotted IPv4 address/);
    expect(() => sockaddrIn(1, '10.0.0.256')).toThrow(BpfArgumentError);
    for (const bad of ['1..2.3', '...', ' 1.2.3.4', '0x7f.0.0.1', '1e2.0.0.1', '1.2.3.4.5'])
      expect(() => sockaddrIn(1, bad)).toThrow(/not a dotted IPv4 address/);
  });

  it("SocketType's types and flags make the sockets they name (SO_TYPE, and the fd's flags)", () => {
    const O_NONBLOCK = 0o4000;
    const O_CLOEXEC = 0o2000000;
    for (const [type, protocol] of [
      [SocketType.STREAM, 0],
      [SocketType.DGRAM, 0],
      [SocketType.RAW, IpProto.UDP],
    ] as const) {
      for (const flags of [
        0,
        SocketType.NONBLOCK,
        SocketType.CLOEXEC,
        SocketType.NONBLOCK | SocketType.CLOEXEC,
      ]) {
        const fd = socket(AddressFamily.INET, type | flags, protocol);
        try {
          const got = new Uint8Array(4);
          getsockopt(fd, SocketLevel.SOCKET, SocketOption.TYPE, got);
          const fdFlags = Number.parseInt(
            /flags:\s*([0-7]+)/.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'))![1]!,
            8,
          );
          expect([
            type,
            flags,
            new DataView(got.buffer).getInt32(0, true),
            (fdFlags & O_NONBLOCK) !== 0,
            (fdFlags & O_CLOEXEC) !== 0,
          ]).toEqual([
            type,
            flags,
            type,
            (flags & SocketType.NONBLOCK) !== 0,
            (flags & SocketType.CLOEXEC) !== 0,
          ]);
        } finally {
          close(fd);
        }
      }
    }
  });

  it('binds, connects, sends and receives a datagram over loopback', () => {
    const a = socket(AddressFamily.INET, SocketType.DGRAM, 0);
    const b = socket(AddressFamily.INET, SocketType.DGRAM, 0);
    try {
      setsockopt(a, SocketLevel.SOCKET, SocketOption.REUSEPORT, new Uint8Array(new Uint32Array([1]).buffer));
      const opt = new Uint8Array(4);
      expect(getsockopt(a, SocketLevel.SOCKET, SocketOption.REUSEPORT, opt)).toBe(4);
      expect(opt[0]).toBe(1);
      bind(a, sockaddrIn(0, '127.0.0.1'));
      const name = new Uint8Array(16);
      expect(getsockname(a, name)).toBe(16);
      const port = sockaddrInPort(name);
      expect(port).toBeGreaterThan(0);
      expect(sendto(b, new Uint8Array([1, 2, 3]), 0, sockaddrIn(port, '127.0.0.1'))).toBe(3);
      const got = new Uint8Array(16);
      expect(recvfrom(a, got)).toBe(3);
      expect([...got.subarray(0, 3)]).toEqual([1, 2, 3]);
      connect(b, sockaddrIn(port, '127.0.0.1'));
      expect(sendto(b, new Uint8Array([9]))).toBe(1);
      expect(recvfrom(a, got)).toBe(1);
      expect(got[0]).toBe(9);
      expect(() => recvfrom(a, got, MsgFlag.DONTWAIT)).toThrow(/recvfrom failed: EAGAIN/);
      // the same port again without SO_REUSEPORT on the second socket
      expect(() => bind(b, sockaddrIn(port, '127.0.0.1'))).toThrow(/bind failed: EINVAL|EADDRINUSE/);
    } finally {
      close(a);
      close(b);
    }
  });
});
