import { mapCreate, mapLookupElem, progLoad, progTestRun } from '@ts-ebpf/syscall';
import { describeKernel } from '@ts-ebpf/test-utils';
import { expect, it } from 'vitest';
import type { Fragment } from '../src/index.js';
import * as d from '../src/index.js';
import { close, kernelTag, PACKET, runProgram, withProgram } from './support/kernel.js';
import { sampleSocketPlugin } from './support/sample-plugin.js';

const { R0, R1, R2, R3, R4, R6, R10 } = d;

/** Runs `body` (which leaves a 64-bit result in r6) twice to read all 64 bits. */
function run64(...body: Fragment): bigint {
  const low = runProgram(d.program(body, d.mov(R0, R6), d.mov32(R0, R0), d.exit()));
  const high = runProgram(d.program(body, d.mov(R0, R6), d.rsh(R0, 32), d.exit()));
  return (BigInt(high) << 32n) | BigInt(low);
}

const u64 = (v: bigint) => BigInt.asUintN(64, v);

describeKernel('kernel runs what dsl assembles (socket filter test runs)', () => {
  it('ALU: division and modulo by zero', () => {
    expect(run64(d.mov(R6, 7), d.mov(R1, 0), d.div(R6, R1))).toBe(0n);
    expect(run64(d.mov(R6, 7), d.mov(R1, 0), d.mod(R6, R1))).toBe(7n);
    expect(run64(d.ldImm64(R6, -1n), d.mov(R1, 0), d.mod32(R6, R1))).toBe(0xffffffffn);
    expect(run64(d.mov(R6, 7), d.mov(R1, 0), d.sdiv(R6, R1))).toBe(0n);
    expect(run64(d.mov(R6, -7), d.mov(R1, 0), d.smod(R6, R1))).toBe(u64(-7n));
  });

  it('ALU: signed division and modulo', () => {
    expect(run64(d.mov(R6, -7), d.sdiv(R6, 2))).toBe(u64(-3n));
    expect(run64(d.mov(R6, -7), d.smod(R6, 2))).toBe(u64(-1n));
    expect(run64(d.mov(R6, 7), d.smod(R6, -2))).toBe(1n);
    expect(run64(d.ldImm64(R6, 1n << 63n), d.mov(R1, -1), d.sdiv(R6, R1))).toBe(1n << 63n);
    expect(run64(d.ldImm64(R6, 1n << 63n), d.mov(R1, -1), d.smod(R6, R1))).toBe(0n);
    expect(run64(d.mov32(R6, -8), d.sdiv32(R6, 3))).toBe(BigInt.asUintN(32, -2n));
  });

  it('ALU: shifts by register amounts past the width are masked', () => {
    expect(run64(d.mov(R6, 1), d.mov(R1, 65), d.lsh(R6, R1))).toBe(2n);
    expect(run64(d.mov(R6, 1), d.mov(R1, 33), d.lsh32(R6, R1))).toBe(2n);
    expect(run64(d.mov(R6, -16), d.arsh(R6, 2))).toBe(u64(-4n));
    expect(run64(d.mov32(R6, -16), d.arsh32(R6, 2))).toBe(0xfffffffcn);
    expect(run64(d.mov(R6, -1), d.rsh(R6, 63))).toBe(1n);
  });

  it('ALU: byte swaps', () => {
    const v = d.ldImm64(R6, 0x0102030405060708n);
    expect(run64(v, d.bswap(R6, 64))).toBe(0x0807060504030201n);
    expect(run64(v, d.bswap(R6, 32))).toBe(0x08070605n);
    expect(run64(v, d.bswap(R6, 16))).toBe(0x0807n);
    expect(run64(v, d.be(R6, 16))).toBe(0x0807n);
    expect(run64(v, d.le(R6, 32))).toBe(0x05060708n);
    expect(run64(v, d.le(R6, 64))).toBe(0x0102030405060708n);
  });

  it('ALU: sign-extending moves, neg, 32-bit zero extension', () => {
    expect(run64(d.mov(R1, 0x80), d.movsx(R6, R1, 8))).toBe(u64(-128n));
    expect(run64(d.mov(R1, 0x8000), d.movsx(R6, R1, 16))).toBe(u64(-0x8000n));
    expect(run64(d.mov32(R1, 0x80000000), d.movsx(R6, R1, 32))).toBe(u64(-0x80000000n));
    expect(run64(d.mov(R1, 0x80), d.movsx32(R6, R1, 8))).toBe(0xffffff80n);
    expect(run64(d.mov(R6, 5), d.neg(R6))).toBe(u64(-5n));
    expect(run64(d.mov(R6, -1), d.add32(R6, 0))).toBe(0xffffffffn);
  });

  it('memory: sign-extending and plain loads from the stack', () => {
    const store = d.st('dw', R10, -8, -128);
    expect(run64(store, d.ldxs('b', R6, R10, -8))).toBe(u64(-128n));
    expect(run64(store, d.ldxs('h', R6, R10, -8))).toBe(u64(-128n));
    expect(run64(store, d.ldxs('w', R6, R10, -8))).toBe(u64(-128n));
    expect(run64(store, d.ldx('b', R6, R10, -8))).toBe(0x80n);
    expect(run64(store, d.ldx('dw', R6, R10, -8))).toBe(u64(-128n));
  });

  it('atomics on the stack', () => {
    const init = [d.st('dw', R10, -8, 10), d.mov(R1, 5)];
    const read = d.ldx('dw', R6, R10, -8);
    expect(run64(init, d.atomic('add', 'dw', R10, R1, -8), read)).toBe(15n);
    expect(run64(init, d.atomic('add', 'dw', R10, R1, -8, true), d.mov(R6, R1))).toBe(10n);
    expect(run64(init, d.atomic('or', 'dw', R10, R1, -8), read)).toBe(15n);
    expect(run64(init, d.atomic('and', 'w', R10, R1, -8, true), read)).toBe(0n);
    expect(run64(init, d.atomic('xor', 'w', R10, R1, -8), read)).toBe(15n);
    expect(run64(init, d.xchg('dw', R10, R1, -8), d.mov(R6, R1))).toBe(10n);
    expect(run64(init, d.mov(R0, 10), d.cmpxchg('dw', R10, R1, -8), read)).toBe(5n);
    expect(run64(init, d.mov(R0, 11), d.cmpxchg('dw', R10, R1, -8), d.mov(R6, R0))).toBe(10n);
    expect(run64(init, d.mov(R0, 10), d.cmpxchg('w', R10, R1, -8), read)).toBe(5n);
  });

  it('load-acquire and store-release', () => {
    const init = [d.st('dw', R10, -8, 0), d.ldImm64(R1, 0x1122334455667788n)];
    expect(run64(init, d.storeRelease('dw', R10, R1, -8), d.loadAcquire('dw', R6, R10, -8))).toBe(
      0x1122334455667788n,
    );
    expect(run64(init, d.storeRelease('h', R10, R1, -8), d.loadAcquire('b', R6, R10, -8))).toBe(0x88n);
  });

  it('jumps: 32-bit compares, gotol, signed compares, loops', () => {
    const ret = (v: number) => [d.mov(R0, v), d.exit()];
    const cmp32 = d.program(
      d.ldImm64(R1, 0x100000001n),
      d.jeq32(R1, 1, 'yes'),
      ret(0),
      d.mark('yes'),
      ret(1),
    );
    expect(runProgram(cmp32)).toBe(1);
    const signed = d.program(
      d.mov(R1, -1),
      d.jsgt(R1, 0, 'no'),
      d.jgt(R1, 0, 'yes'),
      d.mark('no'),
      ret(0),
      d.mark('yes'),
      ret(2),
    );
    expect(runProgram(signed)).toBe(2);
    const far = d.program(
      d.mov(R1, 0),
      d.jeq(R1, 1, 'skip'),
      d.gotol('x'),
      d.mark('skip'),
      ret(0),
      d.mark('x'),
      ret(3),
    );
    expect(runProgram(far)).toBe(3);
    const sum = d.program(d.mov(R0, 0), d.forLoop(R1, 10, [d.add(R0, R1)]), d.exit());
    expect(runProgram(sum)).toBe(45);
    const branch = d.program(
      d.mov(R1, 6),
      d.ifElse(d.cond(R1, '&', 4), [d.mov(R0, 1)], [d.mov(R0, 2)]),
      d.exit(),
    );
    expect(runProgram(branch)).toBe(1);
  });

  it('calls: helpers, bpf-to-bpf subprograms', () => {
    const prog = d.program(
      d.mov(R1, 20),
      d.callLocal('double'),
      d.exit(),
      d.mark('double'),
      d.mov(R0, R1),
      d.add(R0, R1),
      d.exit(),
    );
    expect(runProgram(prog)).toBe(40);
    expect(runProgram([d.call('get_smp_processor_id'), d.mov(R0, 7), d.exit()])).toBe(7);
  });

  it('legacy packet loads and context fields through a socket filter plugin', () => {
    const plugin = sampleSocketPlugin;
    // A socket filter sees the packet from the network header: the 14-byte Ethernet header is pulled.
    expect(runProgram(d.program(plugin.prologue!(), d.ldAbs('h', 0), d.exit()))).toBe(0x0e0f);
    expect(runProgram(d.program(plugin.prologue!(), d.mov(R1, 10), d.ldInd('b', R1, 10), d.exit()))).toBe(34);
    expect(runProgram([d.loadContext(plugin, 'len', R0), d.exit()])).toBe(PACKET.length - 14);
    expect(runProgram([d.loadContext(plugin, 'protocol', R0), d.be(R0, 16), d.exit()])).toBe(0x0800);
    // The same fragment twice in one program: fresh labels, and the verifier accepts it.
    const lenCapped = d.fragment((label, max: number) => [
      d.loadContext(plugin, 'len', R0),
      d.jle(R0, max, label('ok')),
      d.mov(R0, max),
      d.mark(label('ok')),
    ]);
    const twice = d.program(lenCapped(1000), d.mov(R6, R0), lenCapped(10), d.add(R0, R6), d.exit());
    expect(runProgram(twice)).toBe(PACKET.length - 14 + 10);
    expect(runProgram(d.program(plugin.templates.truncate(20)))).toBe(20);
  });

  it('parsed text and map references by name, value address, and the program tag', () => {
    const mapFd = mapCreate({ mapType: 2, keySize: 4, valueSize: 8, maxEntries: 1 });
    try {
      const prog = d.parse(`
        *(u32 *)(r10 - 4) = 0
        r2 = r10
        r2 += -4
        r1 = map[counts]
        call bpf_map_lookup_elem
        if r0 == 0 goto out
        r1 = 3
        lock *(u64 *)(r0 + 0) += r1
        r2 = map[counts][0]+0
        r1 = *(u64 *)(r2 + 0)
        r1 += 1
        *(u64 *)(r2 + 0) = r1
      out:
        r0 = 0
        exit`);
      withProgram(
        prog,
        (fd) => {
          expect(kernelTag(fd)).toBe(d.programTag(prog));
        },
        { maps: { counts: mapFd } },
      );
      runProgram(prog, (name) => (name === 'counts' ? { fd: mapFd } : undefined));
      const value = new Uint8Array(8);
      mapLookupElem(mapFd, new Uint8Array(4), value);
      expect(new DataView(value.buffer).getBigUint64(0, true)).toBe(4n);
    } finally {
      close(mapFd);
    }
  });

  it('ld_imm64 by fd_array index (src 5/6); function pointers (src 4) reach the BTF check', () => {
    const mapFd = mapCreate({ mapType: 2, keySize: 4, valueSize: 8, maxEntries: 1 });
    try {
      const bytes = d.assemble(
        d.program(
          d.ldMapIdxValue(R2, 0, 0),
          d.st('dw', R2, 0, 9),
          d.ldMapIdx(R1, 0),
          d.st('w', R10, -4, 0),
          d.mov(R2, R10),
          d.add(R2, -4),
          d.call('map_lookup_elem'),
          d.jeq(R0, 0, 'out'),
          d.ldx('dw', R0, R0, 0),
          d.mark('out'),
          d.exit(),
        ),
      );
      const fd = progLoad({ progType: 1, insns: bytes, license: 'GPL', fdArray: Int32Array.of(mapFd) });
      try {
        expect(progTestRun({ progFd: fd, dataIn: PACKET }).retval).toBe(9);
      } finally {
        close(fd);
      }
    } finally {
      close(mapFd);
    }
    const loop = d.program(
      d.mov(R1, 5),
      d.ldFunc(R2, 'callback'),
      d.mov(R3, 0),
      d.mov(R4, 0),
      d.call('loop'),
      d.exit(),
      d.mark('callback'),
      d.mov(R0, 0),
      d.exit(),
    );
    // The kernel reads src 4 as a function reference; running callbacks also needs BTF
    // func_info, which is @ts-ebpf/btf's business, so the load stops there.
    expect(() => runProgram(loop)).toThrow(/1: \(18\) r2 = 0x5\nmissing btf func_info/);
  });

  it('verifier rejects what it should, with the log', () => {
    expect(() => runProgram([d.mov(R0, R2), d.exit()])).toThrow(/R2 !read_ok/);
  });

  it('program tag matches the kernel for a map-free program', () => {
    const prog = d.program(d.mov(R0, 1), d.jeq(R0, 1, 'a'), d.mov(R0, 2), d.mark('a'), d.exit());
    withProgram(prog, (fd) => expect(kernelTag(fd)).toBe(d.programTag(prog)));
  });
});
