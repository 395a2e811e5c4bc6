/**
 * Instruction count of the steerPortRange template against the same logic in C compiled by
 * clang-19 -O2 (steer.bpf.c): instruction slots (an ld_imm64 counts 2), and the ratio. The
 * kernel tests load and run the template; this only counts, and reports the figure to the
 * benchmark page.
 * Run: npx nx bench @ts-ebpf/dsl-sk-lookup   (clang-19 installed)
 */
import { slotCount } from '@ts-ebpf/dsl';
import { skLookup, steerPortRange } from '@ts-ebpf/dsl-sk-lookup';
import { clangSectionSlots } from '@ts-ebpf/test-utils';
import { reportBench } from '@ts-ebpf/test-utils/bench-report';

const ours = skLookup().build(steerPortRange({ fd: 3 }, { from: 8000, to: 8009, protocol: 'tcp' }));
const dsl = ours.instructions.reduce((n, insn) => n + slotCount(insn), 0);
const clang = clangSectionSlots(new URL('./steer.bpf.c', import.meta.url).pathname, 'sk_lookup');
console.log('sk_lookup steerPortRange: dsl-sk-lookup vs clang-19 -O2 (instruction slots)');
console.log(`  dsl-sk-lookup ${dsl}   clang ${clang}   ratio ${(dsl / clang).toFixed(2)}x`);
reportBench('@ts-ebpf/dsl-sk-lookup', [
  {
    name: `sk_lookup steerPortRange (ports 8000-8009, TCP): instruction slots`,
    unit: 'slots',
    value: dsl,
    baseline: { name: 'clang-19 -O2, same logic in C', value: clang },
    note: 'an ld_imm64 counts 2 slots',
  },
]);
