import { execFileSync } from 'node:child_process';
import { UserRingBuffer } from '@ts-ebpf/maps';
import { describeKernel } from '@ts-ebpf/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Collection, ElfError, loadCollection, loadCollectionSpec, parseElf } from '../src/index.js';
import { CALL, INSN_SIZE, InsnView, LD_IMM64, PSEUDO_CALL, PSEUDO_FUNC } from '../src/instructions.js';
import { CorpusBuild } from './corpus/build.js';

const u32 = (n: number) => new Uint8Array(new Uint32Array([n]).buffer);
const u64 = (n: bigint) => new Uint8Array(new BigUint64Array([n]).buffer);
const readU64 = (b: Uint8Array | undefined) =>
  new DataView(b!.buffer, b!.byteOffset, 8).getBigUint64(0, true);
const v = (c: Collection, name: string) => c.variable(name).getBigInt();
const signed = (c: Collection, name: string) => BigInt.asIntN(64, v(c, name));
const text = (b: Uint8Array) => new TextDecoder().decode(b).replace(/\0.*$/s, '');

let build: CorpusBuild;
let object: Buffer;
let targetBinary = '';

beforeAll(() => {
  build = new CorpusBuild();
  object = build.object('callbacks.bpf.c');
  targetBinary = build.uprobeTarget();
}, 60_000);

afterAll(() => build?.cleanup());

describe('callbacks: how subprograms passed by pointer are linked', () => {
  /** Every call and function pointer of a linked program, as [instruction, target instruction]. */
  const links = (code: Uint8Array, kind: 'call' | 'pointer') => {
    const insns = new InsnView(code);
    const out: [number, number][] = [];
    for (let i = 0; i < insns.count; i++) {
      const call = insns.opcode(i) === CALL && insns.src(i) === PSEUDO_CALL;
      const pointer = insns.opcode(i) === LD_IMM64 && insns.src(i) === PSEUDO_FUNC;
      if ((kind === 'call' && call) || (kind === 'pointer' && pointer)) out.push([i, i + insns.imm(i) + 1]);
    }
    return out;
  };

  it('appends the callback, then what the callback calls, then what the program calls next (libbpf order)', () => {
    const spec = loadCollectionSpec(object);
    const p = spec.programs.get('run_loop')!;
    expect(p.subprograms.map((s) => s.name)).toEqual(['loop_step', 'square', 'plus_one']);
    const at = Object.fromEntries(p.subprograms.map((s) => [s.name, s.start]));
    // bpf_loop's callback is an ld_imm64 BPF_PSEUDO_FUNC pointing at loop_step's first instruction
    expect(links(p.instructions, 'pointer')).toEqual([[expect.any(Number), at.loop_step]]);
    // in instruction order: run_loop's call of plus_one, then loop_step's call of square
    expect(links(p.instructions, 'call').map(([, to]) => to)).toEqual([at.plus_one, at.square]);
    expect(p.instructions.byteLength / INSN_SIZE).toBeGreaterThan(at.plus_one!);
  });

  it('a subprogram reached by pointer and by call is appended once, where first reached', () => {
    const p = loadCollectionSpec(object).programs.get('drain')!;
    expect(p.subprograms.map((s) => s.name)).toEqual(['drain_one', 'square']);
    const other = loadCollectionSpec(object).programs.get('sum_values')!;
    expect(other.subprograms.map((s) => s.name)).toEqual(['sum_elem']);
  });
});

describe('callbacks: corrupt function pointers are ElfErrors naming the program', () => {
  /**
   * A copy of the object with run_loop's bpf_loop callback pointer (instruction 1 of section
   * xdp, an ld_imm64 relocated against .text) changed by `patch`.
   */
  const corrupt = (patch: (v: DataView, insn: number, reloc: number) => void): Uint8Array => {
    const bytes = new Uint8Array(object);
    const elf = parseElf(bytes);
    const xdp = elf.section('xdp')!;
    const rel = elf.relocationSections().get(xdp.index)!;
    const v = new DataView(bytes.buffer);
    let reloc = -1;
    for (let o = rel.offset; o < rel.offset + rel.size; o += 16)
      if (v.getBigUint64(o, true) === 8n) reloc = o;
    expect(reloc).toBeGreaterThan(0);
    patch(v, xdp.offset + INSN_SIZE, reloc);
    return bytes;
  };
  const spec = (bytes: Uint8Array) => () => loadCollectionSpec(bytes, { skipUnknownSections: true });

  it('a pointer into the middle of an instruction', () => {
    expect(spec(corrupt((v, insn) => v.setInt32(insn + 4, 4, true)))).toThrow(
      /run_loop: function pointer to \.text\+4 bytes is not on an instruction/,
    );
  });

  it('a pointer to an instruction that starts no function', () => {
    expect(spec(corrupt((v, insn) => v.setInt32(insn + 4, 8, true)))).toThrow(
      /function pointer from run_loop to \.text\+1 hits no function/,
    );
  });

  it('a relocation against a function on an instruction that is not ld_imm64 or a call', () => {
    // moved to instruction 13, a store
    expect(spec(corrupt((v, _insn, reloc) => v.setBigUint64(reloc, 13n * 8n, true)))).toThrow(
      /run_loop: relocation against \.text .* on instruction 13, which is not ld_imm64/,
    );
  });

  it('an ld_imm64 BPF_PSEUDO_FUNC without a relocation', () => {
    const bytes = corrupt((v, insn, reloc) => {
      v.setBigUint64(reloc, 13n * 8n, true);
      v.setUint8(insn + 1, (v.getUint8(insn + 1) & 0x0f) | (PSEUDO_FUNC << 4));
    });
    expect(spec(bytes)).toThrow(ElfError);
    expect(spec(bytes)).toThrow(/run_loop: function pointer at instruction 1 has no relocation/);
  });
});

describeKernel('callbacks: run against the kernel', () => {
  it('bpf_loop calls its callback (which calls a subprogram) 10 times', () => {
    using c = loadCollection(object, { programs: ['run_loop'] });
    expect(c.program('run_loop').testRun({ data: new Uint8Array(64) }).retval).toBe(2); // XDP_PASS
    expect(v(c, 'loop_result')).toBe(10n);
    expect(v(c, 'loop_iterations')).toBe(10n);
    expect(v(c, 'loop_sum')).toBe(285n); // 0² + 1² + … + 9²
    expect(v(c, 'loop_tail')).toBe(1n);
  });

  it('bpf_for_each_map_elem sums an array map the test filled', () => {
    using c = loadCollection(object, { programs: ['sum_values'] });
    for (let i = 0; i < 8; i++) c.map('values').set(u32(i), u64(BigInt(i * 10 + 1)));
    c.program('sum_values').testRun({ data: new Uint8Array(64) });
    expect(v(c, 'map_elems')).toBe(8n);
    expect(v(c, 'map_sum')).toBe(288n); // 8 + 10 × (0 + … + 7)
  });

  it('a bpf_timer callback fires and writes a map', async () => {
    using c = loadCollection(object, { programs: ['arm_timer'] });
    expect(c.program('arm_timer').testRun({ data: new Uint8Array(64) }).retval).toBe(0);
    expect(v(c, 'timer_armed')).toBe(1n);
    for (let i = 0; i < 100 && v(c, 'timer_fired') === 0n; i++) await new Promise((r) => setTimeout(r, 10));
    expect(v(c, 'timer_fired')).toBe(1n);
    expect(readU64(c.map('values').get(u32(7)))).toBe(4242n);
  });

  it('a bpf_wq callback (passed to the kfunc bpf_wq_set_callback_impl) runs and writes a map', async () => {
    using c = loadCollection(object, { programs: ['queue_work'] });
    expect(c.program('queue_work').testRun({}).retval).toBe(0);
    expect(v(c, 'work_queued')).toBe(1n);
    for (let i = 0; i < 100 && v(c, 'work_done') === 0n; i++) await new Promise((r) => setTimeout(r, 10));
    expect(v(c, 'work_done')).toBe(1n);
    expect(readU64(c.map('values').get(u32(6)))).toBe(77n);
  });

  it('bpf_user_ringbuf_drain consumes the records the test wrote', () => {
    using c = loadCollection(object, { programs: ['drain'] });
    using ring = UserRingBuffer.open(c.map('requests'));
    for (const n of [3n, 4n, 5n]) expect(ring.write(u64(n))).toBe(true);
    c.program('drain').testRun({ data: new Uint8Array(64) });
    expect(signed(c, 'drain_result')).toBe(3n);
    expect(v(c, 'drained')).toBe(3n);
    expect(v(c, 'drained_sum')).toBe(50n); // 9 + 16 + 25
    c.program('drain').testRun({ data: new Uint8Array(64) });
    expect(signed(c, 'drain_result')).toBe(0n); // nothing left
  });

  it('bpf_find_vma from a uprobe finds the mapping of the probed function', () => {
    using c = loadCollection(object, { programs: ['find_vma'] });
    c.attach({ uprobePath: targetBinary }, ['find_vma']);
    expect(execFileSync(targetBinary, ['2']).toString().trim()).toBe('3');
    expect(v(c, 'vma_calls')).toBe(2n);
    expect(signed(c, 'vma_result')).toBe(0n);
    const ip = v(c, 'vma_ip');
    expect(v(c, 'vma_start')).toBeLessThanOrEqual(ip);
    expect(v(c, 'vma_end')).toBeGreaterThan(ip);
    expect(v(c, 'vma_flags') & 0x4n).toBe(0x4n); // VM_EXEC
    expect(text(c.variable('vma_file').get())).toBe('uprobe-target');
  });
});
