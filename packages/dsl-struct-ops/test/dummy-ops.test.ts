import { kernelBtf } from '@ts-ebpf/btf/kernel';
import { add, exit, jeq, mark, mov, R0, R1, R2 } from '@ts-ebpf/dsl';
import { Program } from '@ts-ebpf/programs';
import { describeKernel } from '@ts-ebpf/test-utils';
import { expect, it } from 'vitest';
import { callback, describeStructOps } from '../src/index.js';

const hasDummyOps = () => kernelBtf().findIds('bpf_struct_ops_bpf_dummy_ops', 'struct').length > 0;

describeKernel('dsl-struct-ops: bpf_dummy_ops, a second ops type (test-run)', () => {
  it('runs a test_1 callback built from the BTF description', (ctx) => {
    if (!hasDummyOps()) ctx.skip('this kernel has no bpf_dummy_ops');
    const ops = describeStructOps(kernelBtf(), 'bpf_dummy_ops');
    const cb = callback(ops, 'test_1');
    expect(cb.callback.returns).toMatchObject({ cType: 'int', size: 4, signed: true });
    // Returns 7 + 1 when the state pointer is NULL (the test run passes args[0] = 0).
    using p = Program.load(
      cb.build([
        cb.arg('state', R1),
        mov(R0, 7),
        jeq(R1, 0, 'null'),
        mov(R0, 100),
        mark('null'),
        mov(R2, 1),
        add(R0, R2),
        exit(),
      ]),
    );
    const run = p.testRun({ ctx: new Uint8Array(8) });
    expect(run.retval).toBe(8);
  });
});
