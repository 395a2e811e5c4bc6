import { kernelBtf } from '@ts-ebpf/btf/kernel';
import { exit, mark, mov, R0, R7 } from '@ts-ebpf/dsl';
import { describeKernel } from '@ts-ebpf/test-utils';
import { expect, it } from 'vitest';
import { formatArgs, iter, SeqFormatError } from '../src/index.js';
import { loadIterator } from '../src/kernel.js';
import { seqPrintfCall } from '../src/seq.js';

/** Formats of one conversion each: some the kernel takes, some it refuses when the helper runs. */
const FORMATS = [
  '%s\n',
  '%s.x\n',
  '%s x\n',
  '%sfoo\n',
  '%s5\n',
  '%pks\n',
  '%pks-x\n',
  '%pksx\n',
  '%p\n',
  '%pK\n',
  '%px\n',
  '%ps\n',
  '%pS\n',
  '%pB\n',
  '%pI4\n',
  '%pZ\n',
  '%5d|\n',
  '%lx\n',
  '%c\n',
  '%zu\n',
];

/** What the kernel prints for `format` with a kernel string's address as its argument ('' if it refuses it). */
function kernelPrints(format: string): string {
  const btf = kernelBtf();
  const s = iter(btf, 'task');
  using it = loadIterator(
    s.build([
      s.loadChecked('task', R7, 'out'),
      s.address(R7, R7, 'task', 'comm'),
      seqPrintfCall(s, format, [R7]),
      mark('out'),
      mov(R0, 0),
      exit(),
    ]),
    { params: { tid: process.pid } },
  );
  return it.text();
}

function accepted(format: string): boolean {
  try {
    formatArgs(format);
    return true;
  } catch (e) {
    if (e instanceof SeqFormatError) return false;
    throw e;
  }
}

describeKernel('seq_printf formats', () => {
  it.each(FORMATS)('formatArgs takes %j exactly when the kernel prints with it', (format) => {
    expect(accepted(format)).toBe(kernelPrints(format) !== '');
  });
});
