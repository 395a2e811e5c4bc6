import { existsSync, rmSync } from 'node:fs';
import { bpf, program as dslProgram, exit, jeq, ldImm64, ldx, mark, mov, R0, R1, R2, R3 } from '@ts-ebpf/dsl';
import {
  BpfArgumentError,
  BpfMapType,
  BpfProgType,
  BpfSyscallError,
  close,
  ensureBpffs,
  mapCreate,
  mapUpdateElem,
  ObjectClosedError,
} from '@ts-ebpf/syscall';
import { describeKernel, hostCode, thrownBy } from '@ts-ebpf/test-utils';
import { afterAll, expect, it } from 'vitest';
import { Program, VerifierError } from '../src/index.js';
import { returns } from './helpers.js';

const PKT = new Uint8Array(64).fill(0xab);

const pinDir = `/sys/fs/bpf/ts-ebpf-programs-${process.pid}`;

describeKernel('Program', () => {
  afterAll(() => rmSync(pinDir, { recursive: true, force: true }));

  it('loads bytes, reports info, test-runs and closes idempotently', () => {
    const p = Program.load({ type: BpfProgType.XDP, instructions: returns(2), name: 'pass' });
    const info = p.info();
    expect(info).toMatchObject({ type: BpfProgType.XDP, name: 'pass' });
    expect(info.id).toBeGreaterThan(0);
    expect(info.tag).toMatch(/^[0-9a-f]{16}$/);
    expect(info.xlatedProgLen).toBe(16);
    expect(info.jitedProgLen).toBeGreaterThan(0);
    const r = p.testRun({ data: PKT, repeat: 3 });
    expect(r.retval).toBe(2);
    expect(r.data).toEqual(PKT);
    p.close();
    p.close();
    expect(p.closed).toBe(true);
    expect(() => p.fd).toThrow(ObjectClosedError);
    expect(() => p.info()).toThrow(ObjectClosedError);
  });

  it('loads dsl instructions and is disposable with using', () => {
    let fd = -1;
    {
      using p = Program.load({
        type: BpfProgType.SOCKET_FILTER,
        instructions: dslProgram(mov(R0, 7), exit()),
      });
      fd = p.fd;
      expect(p.testRun({ data: PKT }).retval).toBe(7);
    }
    expect(existsSync(`/proc/self/fd/${fd}`)).toBe(false);
  });

  it('keeps the verifier log when a log level is requested', () => {
    using p = Program.load({ type: BpfProgType.XDP, instructions: returns(1), logLevel: 2 });
    expect(p.verifierLog).toMatch(/processed 2 insns/);
  });

  it('gives a VerifierError pointing at the out-of-bounds instruction (bytes)', () => {
    const code = hostCode(bpf`
      r0 = 0
      r0 = *(u32 *)(r1 + 4096) // outside xdp_md
      exit`);
    const err = thrownBy(() => Program.load({ type: BpfProgType.XDP, instructions: code, name: 'oob' }));
    expect(err).toBeInstanceOf(VerifierError);
    const v = err as VerifierError;
    expect(v.code).toBe('EACCES');
    expect(v.cause).toBeInstanceOf(BpfSyscallError);
    expect(v.instruction).toMatchObject({ slot: 1, index: 1 });
    expect(v.errorLine).toMatch(/invalid bpf_context access/);
    expect(v.verifierHint).toMatch(/invalid memory access/);
    expect(v.log).toMatch(/^0: /m);
    expect(v.message).toMatch(/program 'oob' at instruction 1/);
  });

  it('loadAsync: loads on a worker thread, several at once, and fails as load does', async () => {
    const loaded = await Promise.all(
      [0, 1, 2, 3, 2, 1].map((r, i) =>
        Program.loadAsync({ type: BpfProgType.XDP, instructions: returns(r), name: `async_${i}` }),
      ),
    );
    try {
      expect(new Set(loaded.map((p) => p.fd)).size).toBe(loaded.length);
      loaded.forEach((p, i) => {
        expect(p.info().name).toBe(`async_${i}`);
        expect(p.testRun({ data: PKT }).retval).toBe([0, 1, 2, 3, 2, 1][i]);
      });
    } finally {
      for (const p of loaded) p.close();
    }
    using logged = await Program.loadAsync({ type: BpfProgType.XDP, instructions: returns(1), logLevel: 2 });
    expect(logged.verifierLog).toMatch(/processed 2 insns/);
    const code = hostCode(bpf`
      r0 = 0
      r0 = *(u32 *)(r1 + 4096) // outside xdp_md
      exit`);
    const options = { type: BpfProgType.XDP, instructions: code, name: 'oob' };
    const sync = thrownBy(() => Program.load(options)) as VerifierError;
    const err = await Program.loadAsync(options).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(VerifierError);
    expect((err as VerifierError).message).toBe(sync.message);
    expect((err as VerifierError).instruction).toEqual(sync.instruction);
    await expect(
      Program.loadAsync({ type: BpfProgType.XDP, instructions: new Uint8Array(0) }),
    ).rejects.toThrow(BpfArgumentError);
  });

  it('loadAsync: more loads at once than koffi queues (256) all complete', async () => {
    const many = await Promise.all(
      Array.from({ length: 300 }, (_, i) =>
        Program.loadAsync({ type: BpfProgType.XDP, instructions: returns(i % 4) }),
      ),
    );
    try {
      expect(new Set(many.map((p) => p.fd)).size).toBe(300);
      expect(many[299]!.testRun({ data: PKT }).retval).toBe(3);
    } finally {
      for (const p of many) p.close();
    }
  });

  it('maps the failing slot back to the dsl instruction and its label, across ld_imm64', () => {
    const insns = dslProgram(
      mov(R0, 0),
      ldImm64(R2, 0x1234_5678_9abcn), // two slots
      jeq(R1, 0, 'out'),
      mark('bad'),
      mov(R3, 1),
      ldx('w', R0, R1, 8192), // index 4, slot 5, bad+1
      mark('out'),
      exit(),
    );
    const err = thrownBy(() => Program.load({ type: BpfProgType.XDP, instructions: insns }));
    expect(err).toBeInstanceOf(VerifierError);
    const v = err as VerifierError;
    expect(v.instruction).toMatchObject({ slot: 5, index: 4, label: 'bad', labelOffset: 1 });
    expect(v.instruction?.text).toMatch(/r0 = \*\(u32 \*\)\(r1 \+ ?8192\)/);
    expect(v.message).toMatch(/instruction 4 \(slot 5\) \[bad\+1: /);
  });

  it('reports R0 not set and an unknown helper with hints', () => {
    const noR0 = thrownBy(() =>
      Program.load({ type: BpfProgType.XDP, instructions: hostCode([exit()]) }),
    ) as VerifierError;
    expect(noR0).toBeInstanceOf(VerifierError);
    expect(noR0.verifierHint).toMatch(/r0 is not set/);
    const helper = thrownBy(() =>
      Program.load({
        type: BpfProgType.SOCKET_FILTER,
        instructions: hostCode(bpf`call bpf_xdp_adjust_head; r0 = 0; exit`),
      }),
    ) as VerifierError;
    expect(helper).toBeInstanceOf(VerifierError);
    expect(helper.verifierHint).toMatch(/not available to this program type/);
  });

  it('names the helper of a refused call in the failing instruction, as the kernel log does', () => {
    // bpf_probe_read_kernel is GPL-only: the verifier refuses its call from a proprietary program
    const insns = bpf`
      r1 = r10
      r1 += -8
      r2 = 8
      r3 = 0
      call bpf_probe_read_kernel
      r0 = 0
      exit`;
    const err = thrownBy(() =>
      Program.load({ type: BpfProgType.TRACEPOINT, license: 'Proprietary', instructions: insns }),
    ) as VerifierError;
    expect(err).toBeInstanceOf(VerifierError);
    expect(err.errorLine).toMatch(/GPL/);
    expect(err.instruction).toMatchObject({ index: 4, text: 'call bpf_probe_read_kernel#113' });
    expect(err.message).toContain('at instruction 4 [call bpf_probe_read_kernel#113]: ');
  });

  it.each([
    [
      'a back-edge',
      BpfProgType.XDP,
      'GPL',
      hostCode(bpf`r0 = 0; if r0 == 0 goto -1; exit`),
      /unbounded loop/,
    ],
    [
      'stack out of bounds',
      BpfProgType.XDP,
      'GPL',
      hostCode(bpf`*(u64 *)(r10 - 520) = r1; r0 = 0; exit`),
      /stack/,
    ],
    [
      'a GPL-only helper without GPL',
      BpfProgType.TRACEPOINT,
      'Proprietary',
      hostCode(bpf`
        r1 = r10
        r1 += -8
        r2 = 8
        r3 = 0
        call bpf_probe_read
        r0 = 0
        exit`),
      /^bpf_probe_read is GPL-only/,
    ],
    [
      'a return value out of the range of the program type',
      BpfProgType.CGROUP_SKB,
      'GPL',
      hostCode(bpf`r0 = 7; exit`),
      /return value is outside the range .* cgroup skb program returns 1 to pass/,
    ],
  ] as const)('hints at %s', (_what, type, license, code, hint) => {
    const err = thrownBy(() => Program.load({ type, license, instructions: code })) as VerifierError;
    expect(err).toBeInstanceOf(VerifierError);
    expect(err.verifierHint).toMatch(hint);
  });

  it('grows the log buffer when the log does not fit', () => {
    const insns = dslProgram(
      ...Array.from({ length: 200 }, () => mov(R0, 1)),
      ldx('w', R0, R1, 4096),
      exit(),
    );
    const err = thrownBy(() =>
      Program.load({ type: BpfProgType.XDP, instructions: insns, logLevel: 2, logSize: 256 }),
    ) as VerifierError;
    expect(err).toBeInstanceOf(VerifierError);
    expect(err.log.length).toBeGreaterThan(256);
    expect(err.instruction?.index).toBe(200);
  });

  it('pins, opens from the pin, by id and by fd', () => {
    ensureBpffs();
    const path = `${pinDir}/prog`;
    using p = Program.load({ type: BpfProgType.XDP, instructions: returns(2), name: 'pinned' });
    p.pin(path);
    try {
      using q = Program.fromPin(path);
      expect(q.info().id).toBe(p.info().id);
      expect(q).toMatchObject({ type: BpfProgType.XDP, name: 'pinned' });
      using r = Program.fromId(p.info().id);
      expect(r.testRun({ data: PKT }).retval).toBe(2);
    } finally {
      p.unpin(path);
    }
    expect(existsSync(path)).toBe(false);
    using dup = Program.fromFd(Program.fromId(p.info().id).fd);
    expect(dup.type).toBe(BpfProgType.XDP);
  });

  it('counts runs while statistics are enabled', () => {
    using p = Program.load({ type: BpfProgType.XDP, instructions: returns(2) });
    {
      using _stats = Program.enableStats();
      p.testRun({ data: PKT, repeat: 5 });
    }
    const info = p.info();
    expect(info.runCount).toBeGreaterThanOrEqual(5n);
    expect(info.runTimeNs).toBeGreaterThan(0n);
  });

  it('tail-calls through a prog_array', () => {
    const progArray = mapCreate({ mapType: BpfMapType.PROG_ARRAY, keySize: 4, valueSize: 4, maxEntries: 4 });
    try {
      using target = Program.load({ type: BpfProgType.XDP, instructions: returns(42), name: 'target' });
      using entry = Program.load({
        type: BpfProgType.XDP,
        name: 'entry',
        instructions: hostCode(bpf`
          r2 = map[fd:${progArray}]
          r3 = 0
          call bpf_tail_call // (r1 = ctx, r2, r3)
          r0 = 1
          exit`),
      });
      expect(entry.testRun({ data: PKT }).retval).toBe(1);
      const value = new Uint8Array(4);
      new DataView(value.buffer).setUint32(0, target.fd, true);
      mapUpdateElem(progArray, new Uint8Array(4), value);
      expect(entry.testRun({ data: PKT }).retval).toBe(42);
    } finally {
      close(progArray);
    }
  });

  it('test-runs a sleepable syscall program with a context it writes back', () => {
    using p = Program.load({
      type: BpfProgType.SYSCALL,
      sleepable: true,
      instructions: hostCode(bpf`
        r2 = *(u32 *)(r1 + 0)
        r2 += 1
        *(u32 *)(r1 + 0) = r2
        r0 = r2
        exit`),
    });
    const ctx = new Uint8Array(new Uint32Array([41]).buffer);
    const r = p.testRun({ ctx });
    expect(r.retval).toBe(42);
    expect(new DataView(r.ctx!.buffer).getUint32(0, true)).toBe(42);
    expect(new DataView(ctx.buffer).getUint32(0, true)).toBe(41);
  });

  it('rejects bad code before the syscall', () => {
    expect(() => Program.load({ type: BpfProgType.XDP, instructions: new Uint8Array(12) })).toThrow(
      BpfArgumentError,
    );
  });
});
