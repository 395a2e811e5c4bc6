import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeKernel, leakedFds, openFds } from '@ts-ebpf/test-utils';
import { AfXdp, EbpfError, XdpBindFlag, XdpSockopt, XdpUmemFlag } from '@ts-ebpf/uapi';
import { describe, expect, it } from 'vitest';
import {
  AF_XDP_LAYOUTS,
  BpfArgumentError,
  close,
  InvalidArgumentError,
  MapFlag,
  MappedMemory,
  Prot,
  pageSize,
  setsockopt,
  sockaddrXdp,
  XDP_MAX_QUEUE_ID,
  XDP_MAX_TX_METADATA_LEN,
  XDP_MIN_TX_METADATA_LEN,
  XdpUmemHeadroomError,
  xdpBind,
  xdpMapRing,
  xdpMaxHeadroom,
  xdpMmapOffsets,
  xdpSetRingSize,
  xdpSocket,
  xdpStatistics,
  xdpUmemRegister,
} from '../src/index.js';

describe('AF_XDP struct layouts', () => {
  it('match offsetof() and sizeof() from the installed linux/if_xdp.h', () => {
    const checks: string[] = [];
    // Fields newer than an installed header: where the kernel's header puts them, said in terms
    // of the older fields (tx_metadata_len, Linux 6.8, right after flags: include/uapi/linux/if_xdp.h).
    const newer: Record<string, { guard: string; older: string }> = {
      'xdp_umem_reg.tx_metadata_len': {
        guard: 'XDP_UMEM_TX_SW_CSUM',
        older: 'offsetof(struct xdp_umem_reg, flags) + sizeof(__u32)',
      },
    };
    for (const [struct, fields] of Object.entries(AF_XDP_LAYOUTS)) {
      for (const [field, offset] of Object.entries(fields)) {
        const c = field === 'SIZE' ? `sizeof(struct ${struct})` : `offsetof(struct ${struct}, ${field})`;
        const late = newer[`${struct}.${field}`];
        const expr = late ? `\n#ifdef ${late.guard}\n${c}\n#else\n${late.older}\n#endif\n` : c;
        checks.push(`printf("${struct}.${field} %zu ${offset}\\n", ${expr});`);
      }
    }
    const dir = mkdtempSync(join(tmpdir(), 'ts-ebpf-if-xdp-'));
    writeFileSync(
      join(dir, 'l.c'),
      `#include <stdio.h>\n#include <stddef.h>\n#include <linux/if_xdp.h>\nint main(void){\n${checks.join('\n')}\nreturn 0;}\n`,
    );
    execFileSync('gcc', ['-o', join(dir, 'l'), join(dir, 'l.c')]);
    const lines = execFileSync(join(dir, 'l'), { encoding: 'utf8' }).trim().split('\n');
    expect(lines.length).toBe(checks.length);
    for (const line of lines) {
      const [key, c, ours] = line.split(' ');
      expect([key, Number(ours)]).toEqual([key, Number(c)]);
    }
  });

  it('sockaddrXdp encodes family, flags, ifindex, queue and shared fd in host order', () => {
    const a = sockaddrXdp({ ifindex: 7, queueId: 3, flags: XdpBindFlag.COPY, sharedUmemFd: 9 });
    const v = new DataView(a.buffer);
    const le = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
    expect([v.getUint16(0, le), v.getUint16(2, le), v.getUint32(4, le), v.getUint32(8, le)]).toEqual([
      44, 2, 7, 3,
    ]);
    expect(v.getUint32(12, le)).toBe(9);
    expect(() => sockaddrXdp({ ifindex: 0 })).toThrow(/ifindex/);
  });
});

function umem(frames: number, frameSize = 4096): MappedMemory {
  return MappedMemory.map({
    length: frames * frameSize,
    prot: Prot.READ | Prot.WRITE,
    flags: MapFlag.PRIVATE | MapFlag.ANONYMOUS,
  });
}

describeKernel('AF_XDP raw layer', () => {
  it('registers a UMEM, sizes and maps the four rings, reads statistics, closes without leaks', () => {
    const before = openFds();
    const fd = xdpSocket();
    using mem = umem(8);
    try {
      xdpUmemRegister(fd, mem, { chunkSize: 4096 });
      for (const kind of ['fill', 'completion', 'rx', 'tx'] as const) xdpSetRingSize(fd, kind, 8);
      const off = xdpMmapOffsets(fd);
      for (const kind of ['fill', 'completion', 'rx', 'tx'] as const) {
        expect(off[kind].desc).toBeGreaterThan(off[kind].consumer);
        using ring = xdpMapRing(fd, kind, 8, off[kind]);
        // a fresh ring: producer and consumer at 0
        const v = new DataView(ring.unsafeArrayBuffer());
        expect([v.getUint32(off[kind].producer, true), v.getUint32(off[kind].consumer, true)]).toEqual([
          0, 0,
        ]);
      }
      expect(xdpStatistics(fd).rxDropped).toBe(0n);
    } finally {
      close(fd);
    }
    expect(leakedFds(before)).toEqual([]);
  });

  it('refuses bad UMEM and ring arguments before the kernel, naming them', () => {
    const fd = xdpSocket();
    try {
      using mem = umem(4);
      expect(() => xdpUmemRegister(fd, mem, { chunkSize: 3000 })).toThrow(BpfArgumentError);
      expect(() => xdpUmemRegister(fd, mem, { chunkSize: 3000 })).toThrow(/chunkSize.*power of two/);
      expect(() => xdpUmemRegister(fd, mem, { chunkSize: 1024 })).toThrow(/chunkSize/);
      expect(() => xdpUmemRegister(fd, mem, { chunkSize: pageSize() * 2 })).toThrow(/chunkSize/);
      expect(() => xdpUmemRegister(fd, mem, { chunkSize: 4096, headroom: 4096 - 256 })).toThrow(/headroom/);
      // room for 128 bytes of packet past the kernel's 256 is checked before the kernel
      expect(xdpMaxHeadroom(4096)).toBe(4096 - 256 - 128);
      expect(() => xdpUmemRegister(fd, mem, { chunkSize: 4096, headroom: 4096 - 383 })).toThrow(
        BpfArgumentError,
      );
      using odd = MappedMemory.map({
        length: 4096 + 2048,
        prot: Prot.READ | Prot.WRITE,
        flags: MapFlag.PRIVATE | MapFlag.ANONYMOUS,
      });
      expect(() => xdpUmemRegister(fd, odd, { chunkSize: 4096 })).toThrow(/whole number of 4096-byte frames/);
      // unaligned mode takes no frame above the page size either (the kernel answers EINVAL)
      const unaligned = XdpUmemFlag.UNALIGNED_CHUNK_FLAG;
      for (const chunkSize of [pageSize() + 1, pageSize() * 2]) {
        expect(() => xdpUmemRegister(fd, odd, { chunkSize, flags: unaligned })).toThrow(BpfArgumentError);
        expect(() => xdpUmemRegister(fd, odd, { chunkSize, flags: unaligned })).toThrow(
          new RegExp(
            `^invalid chunkSize: ${chunkSize} is above the page size \\(${pageSize()}\\).*unaligned mode alike`,
          ),
        );
      }
      // nor a UMEM shorter than one frame (the kernel counts no chunk in it: EINVAL)
      using short = MappedMemory.map({
        length: 2048,
        prot: Prot.READ | Prot.WRITE,
        flags: MapFlag.PRIVATE | MapFlag.ANONYMOUS,
      });
      expect(() => xdpUmemRegister(fd, short, { chunkSize: 3000, flags: unaligned })).toThrow(
        BpfArgumentError,
      );
      expect(() => xdpUmemRegister(fd, short, { chunkSize: 3000, flags: unaligned })).toThrow(
        /^invalid umem: its 2048 bytes hold no whole 3000-byte frame/,
      );
      // unaligned mode takes any size from 2048 up to the page size: the kernel accepts it
      xdpUmemRegister(fd, odd, { chunkSize: 3000, flags: unaligned });
      expect(() => xdpSetRingSize(fd, 'rx', 6)).toThrow(/rx ring size.*power of two/);
      expect(() => xdpSetRingSize(fd, 'bogus' as 'rx', 8)).toThrow(/bogus/);
      const closed = umem(1);
      closed.close();
      expect(() => xdpUmemRegister(fd, closed, { chunkSize: 4096 })).toThrow(/UMEM mapping/);
    } finally {
      close(fd);
    }
  });

  it('a headroom the kernel refuses for its tailroom is XdpUmemHeadroomError naming it', () => {
    // This kernel keeps 256 + 128 + SKB_DATA_ALIGN(sizeof(struct skb_shared_info)) (320 on
    // x86-64) bytes of each frame: 3392 is its largest headroom for 4096-byte frames.
    const register = (chunkSize: number, headroom: number): unknown => {
      const fd = xdpSocket();
      try {
        using mem = umem(4);
        xdpUmemRegister(fd, mem, { chunkSize, headroom });
        return undefined;
      } catch (e) {
        return e;
      } finally {
        close(fd);
      }
    };
    for (const [chunkSize, headroom] of [
      [4096, 3393],
      [4096, xdpMaxHeadroom(4096)],
      [2048, 1345],
    ] as const) {
      const e = register(chunkSize, headroom);
      expect(e).toBeInstanceOf(XdpUmemHeadroomError);
      expect(e).toBeInstanceOf(EbpfError);
      expect((e as XdpUmemHeadroomError).message).toMatch(
        new RegExp(`^headroom ${headroom} was refused by the kernel for ${chunkSize}-byte frames`),
      );
      expect((e as XdpUmemHeadroomError).cause).toBeInstanceOf(InvalidArgumentError);
      expect([(e as XdpUmemHeadroomError).headroom, (e as XdpUmemHeadroomError).chunkSize]).toEqual([
        headroom,
        chunkSize,
      ]);
    }
    expect(register(4096, 3392)).toBeUndefined();
    expect(register(2048, 1344)).toBeUndefined();
  });

  it('binding a socket without rings is refused by the kernel with its errno', () => {
    const fd = xdpSocket();
    try {
      using mem = umem(4);
      xdpUmemRegister(fd, mem, { chunkSize: 4096 });
      // no RX or TX ring: EINVAL
      expect(() => xdpBind(fd, { ifindex: 1 })).toThrow(InvalidArgumentError);
    } finally {
      close(fd);
    }
    const fd2 = xdpSocket();
    try {
      using mem = umem(4);
      xdpUmemRegister(fd2, mem, { chunkSize: 4096 });
      for (const kind of ['fill', 'completion', 'rx'] as const) xdpSetRingSize(fd2, kind, 4);
      // an interface index that does not exist: ENODEV
      expect(() => xdpBind(fd2, { ifindex: 0x7ffffff0 })).toThrow(/ENODEV/);
    } finally {
      close(fd2);
    }
  });

  it('a queue id above 65535 is refused before the kernel, which would bind queue 0 with it', () => {
    const fd = xdpSocket();
    try {
      using mem = umem(4);
      xdpUmemRegister(fd, mem, { chunkSize: 4096 });
      for (const kind of ['fill', 'completion', 'rx'] as const) xdpSetRingSize(fd, kind, 4);
      for (const queueId of [65536, 65536 + 3, 0xffffffff]) {
        expect(() => xdpBind(fd, { ifindex: 1, queueId })).toThrow(BpfArgumentError);
        expect(() => xdpBind(fd, { ifindex: 1, queueId })).toThrow(
          new RegExp(
            `^invalid queueId: ${queueId} is above 65535: .*16-bit id, so it would bind queue ${queueId & 0xffff}`,
          ),
        );
      }
      expect(() => sockaddrXdp({ ifindex: 1, queueId: 65536 })).toThrow(/queueId/);
      // 65535 is the kernel's to refuse: lo has one queue
      expect(() => xdpBind(fd, { ifindex: 1, queueId: 65535 })).toThrow(InvalidArgumentError);
      xdpBind(fd, { ifindex: 1, queueId: 0 }); // the socket was left unbound by all of the above
    } finally {
      close(fd);
    }
    expect(XDP_MAX_QUEUE_ID).toBe(65535);
  });

  it('UMEM flags TX_SW_CSUM and TX_METADATA_LEN: checked as xdp_umem_reg() checks them', () => {
    /** Registers a 4-frame UMEM on a fresh socket; the error, or undefined. */
    const register = (o: Parameters<typeof xdpUmemRegister>[2]): unknown => {
      const fd = xdpSocket();
      try {
        using mem = umem(4);
        xdpUmemRegister(fd, mem, o);
        return undefined;
      } catch (e) {
        return e;
      } finally {
        close(fd);
      }
    };
    // the kernel takes both, and 16 to 248 bytes of TX metadata in steps of 8
    expect([XDP_MIN_TX_METADATA_LEN, XDP_MAX_TX_METADATA_LEN]).toEqual([16, 248]);
    for (const txMetadataLen of [16, 24, 248]) {
      expect(register({ chunkSize: 4096, headroom: 256, flags: XdpUmemFlag.TX_SW_CSUM, txMetadataLen })).toBe(
        undefined,
      );
    }
    expect(
      register({ chunkSize: 4096, flags: XdpUmemFlag.TX_SW_CSUM | XdpUmemFlag.UNALIGNED_CHUNK_FLAG }),
    ).toBe(undefined);
    // what the kernel refuses is refused first, naming the option
    const refused = (o: Parameters<typeof xdpUmemRegister>[2], argument: string, message: RegExp) => {
      const e = register(o);
      expect(e).toBeInstanceOf(BpfArgumentError);
      expect((e as BpfArgumentError).message).toMatch(new RegExp(`^invalid ${argument}: `));
      expect((e as BpfArgumentError).message).toMatch(message);
    };
    for (const txMetadataLen of [12, 256, 0, 8, -8, 16.5])
      refused(
        { chunkSize: 4096, txMetadataLen },
        'txMetadataLen',
        new RegExp(`from 16 to 248 .*got ${txMetadataLen}$`),
      );
    refused({ chunkSize: 4096, flags: XdpUmemFlag.TX_METADATA_LEN }, 'txMetadataLen', /no txMetadataLen/);
    refused({ chunkSize: 4096, flags: 8 }, 'flags', /0x8 is no XdpUmemFlag bit/);
    // … and the kernel itself, given the raw struct, refuses the same (EINVAL) and takes a length
    // without the flag only to ignore it
    const L = AF_XDP_LAYOUTS.xdp_umem_reg;
    const raw = (flags: number, txMetadataLen: number): unknown => {
      const fd = xdpSocket();
      try {
        using mem = umem(4);
        const reg = new Uint8Array(L.SIZE);
        const v = new DataView(reg.buffer);
        const le = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
        v.setBigUint64(L.addr, mem.address, le);
        v.setBigUint64(L.len, BigInt(mem.length), le);
        v.setUint32(L.chunk_size, 4096, le);
        v.setUint32(L.flags, flags, le);
        v.setUint32(L.tx_metadata_len, txMetadataLen, le);
        setsockopt(fd, AfXdp.SOL_XDP, XdpSockopt.UMEM_REG, reg);
        return undefined;
      } catch (e) {
        return e;
      } finally {
        close(fd);
      }
    };
    const withLen = XdpUmemFlag.TX_METADATA_LEN;
    expect(raw(withLen, 24)).toBeUndefined();
    expect(raw(withLen | XdpUmemFlag.TX_SW_CSUM, 248)).toBeUndefined();
    expect(raw(withLen, 16)).toBeUndefined();
    expect(raw(withLen, 12)).toBeInstanceOf(InvalidArgumentError);
    expect(raw(withLen, 256)).toBeInstanceOf(InvalidArgumentError);
    // this 6.18 stable kernel refuses less than 16 too (the 6.18.0 source took 0 and 8)
    expect(raw(withLen, 8)).toBeInstanceOf(InvalidArgumentError);
    expect(raw(withLen, 0)).toBeInstanceOf(InvalidArgumentError);
    expect(raw(8, 0)).toBeInstanceOf(InvalidArgumentError);
    expect(raw(0, 12)).toBeUndefined();
  });
});
