/**
 * Instruction count of the verdictByFirstBytes template against the same logic in C compiled
 * by clang-19 -O2 (verdict.bpf.c): instruction slots (an ld_imm64 counts 2), and the ratio.
 * The kernel tests load and run the template; this only counts, and reports the figure to the
 * benchmark page.
 * Run: npx nx bench @ts-ebpf/dsl-socket   (clang-19 installed)
 */
import { slotCount } from '@ts-ebpf/dsl';
import { SK_MSG_TEMPLATES, skMsg } from '@ts-ebpf/dsl-socket';
import { clangSectionSlots } from '@ts-ebpf/test-utils';
import { reportBench } from '@ts-ebpf/test-utils/bench-report';

const ours = skMsg().build(SK_MSG_TEMPLATES.verdictByFirstBytes(new TextEncoder().encode('GET ')));
const dsl = ours.instructions.reduce((n, insn) => n + slotCount(insn), 0);
const clang = clangSectionSlots(new URL('./verdict.bpf.c', import.meta.url).pathname, 'sk_msg');
console.log("sk_msg verdictByFirstBytes('GET '): dsl-socket vs clang-19 -O2 (instruction slots)");
console.log(`  dsl-socket ${dsl}   clang ${clang}   ratio ${(dsl / clang).toFixed(2)}x`);
reportBench('@ts-ebpf/dsl-socket', [
  {
    name: `sk_msg verdictByFirstBytes('GET '): instruction slots`,
    unit: 'slots',
    value: dsl,
    baseline: { name: 'clang-19 -O2, same logic in C', value: clang },
    note: 'an ld_imm64 counts 2 slots',
  },
]);
