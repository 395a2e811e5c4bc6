// The README's examples, run as written (console.log replaced by expectations).
import {
  add,
  atomic,
  call,
  exit,
  jeq,
  ldMapFd,
  ldx,
  mark,
  mov,
  program,
  R0,
  R1,
  R2,
  R10,
  st,
} from '@ts-ebpf/dsl';
import { BpfMapType, BpfProgType, close, getpid, mapCreate, mapLookupElem } from '@ts-ebpf/syscall';
import { describeKernel } from '@ts-ebpf/test-utils';
import { expect, it } from 'vitest';
import { attachTracepoint, Program, VerifierError } from '../src/index.js';

describeKernel('README examples', () => {
  it('load and test-run', () => {
    using prog = Program.load({
      type: BpfProgType.XDP,
      name: 'pass',
      instructions: program(mov(R0, 2), exit()),
    });
    const run = prog.testRun({ data: new Uint8Array(64), repeat: 10 });
    expect(run.retval).toBe(2);
    expect(prog.info().xlatedProgLen).toBe(16);
  });

  it('verifier errors', () => {
    let caught = false;
    try {
      Program.load({
        type: BpfProgType.XDP,
        name: 'oob',
        instructions: program(mov(R0, 0), mark('read'), ldx('w', R0, R1, 4096), exit()),
      });
    } catch (e) {
      if (!(e instanceof VerifierError)) throw e;
      caught = true;
      expect([e.instruction?.index, e.instruction?.label]).toEqual([1, 'read']);
      expect(e.errorLine).toBe('invalid bpf_context access off=4096 size=4');
      expect(e.verifierHint).toMatch(/^invalid memory access: check the pointer against its bounds first/);
    }
    expect(caught).toBe(true);
  });

  it('count events into a map', () => {
    const counts = mapCreate({ mapType: BpfMapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: 1 });
    try {
      using prog = Program.load({
        type: BpfProgType.TRACEPOINT,
        maps: { counts },
        instructions: program(
          st('w', R10, -4, 0),
          mov(R2, R10),
          add(R2, -4),
          ldMapFd(R1, 'counts'),
          call('map_lookup_elem'),
          jeq(R0, 0, 'out'),
          mov(R1, 1),
          atomic('add', 'dw', R0, R1),
          mark('out'),
          mov(R0, 0),
          exit(),
        ),
      });
      {
        using _link = attachTracepoint(prog, 'syscalls', 'sys_enter_getpid');
        for (let i = 0; i < 3; i++) getpid();
      }
      const value = new Uint8Array(8);
      mapLookupElem(counts, new Uint8Array(4), value);
      expect(new DataView(value.buffer).getBigUint64(0, true) >= 3n).toBe(true);
    } finally {
      close(counts);
    }
  });
});
