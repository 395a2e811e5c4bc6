// The enumerators' constant object has the JavaScript type of the enum's values: an 8-byte enum
// is read as a bigint whether its BTF is an ENUM64 (clang) or an ENUM of size 8 (older pahole,
// other producers; the kernel's BTF check takes sizes 1, 2, 4 and 8). BTF built by hand: these
// are byte layouts clang does not write.
import { BtfBuilder } from '@ts-ebpf/btf';
import { loadBtf } from '@ts-ebpf/btf/kernel';
import { describeKernel } from '@ts-ebpf/test-utils';
import { expect, it } from 'vitest';
import { NameTable } from '../src/names.js';
import { TypeRegistry } from '../src/types.js';

/** The declaration of `type` in BTF `build` makes, once the kernel has taken that BTF. */
function declared(build: (b: BtfBuilder) => void, type: string): { ts: string; text: string } {
  const b = new BtfBuilder();
  build(b);
  loadBtf(b).close();
  const registry = new TypeRegistry(b.build(), new NameTable());
  const typed = registry.declareNamed(type);
  return { ts: typed.ts, text: registry.declarations.join('\n') };
}

describeKernel('generated enums', () => {
  it('an ENUM of size 8 has bigint enumerators, as its values read as bigints', () => {
    const wide = declared((b) => b.enum('old_wide', { OW_A: 1, OW_B: -2 }, { size: 8 }), 'enum old_wide');
    expect(wide.ts).toBe('bigint');
    expect(wide.text).toContain('  OW_A: 1n,\n  OW_B: -2n,');
    const narrow = declared((b) => b.enum('narrow', { N_A: 1, N_B: -2 }, { size: 4 }), 'enum narrow');
    expect(narrow.ts).toBe('number');
    expect(narrow.text).toContain('  N_A: 1,\n  N_B: -2,');
    const e64 = declared((b) => b.enum64('e64', { E_A: 1n }), 'enum e64');
    expect(e64.ts).toBe('bigint');
    expect(e64.text).toContain('  E_A: 1n,');
  });
});
