import { kernelBtf } from '@ts-ebpf/btf/kernel';
import { loadedPrograms, type Program, ProgramCodeUnavailableError } from '@ts-ebpf/programs';
import { KernelSymbolTable } from '@ts-ebpf/syscall';
import type { Args } from '../args.js';
import { commandGroup, type Subcommand } from '../command.js';
import { hexBytes, hexDump } from '../hex.js';
import { recordsOf } from '../object-ids.js';
import { matchesJson, matchingRecords } from '../object-match.js';
import type { Output } from '../output.js';
import { bootTimeMs } from '../proc-files.js';
import { type ProgRecord, progRecord } from '../prog-record.js';
import { xlatedAnnotations } from '../prog-source.js';
import { openProgram, PROG_FORMS, progFields, readRef } from '../targets.js';
import { opcodeHex, type XlatedLine, xlatedListing } from '../xlated.js';

/** What the commands working on one program say of a name or tag several programs have. */
const ONE_PROGRAM = 'A name or tag several programs have is an error listing their ids: pick one with id ID.';

/** Every loaded program's record, in id order. */
function allPrograms(): ProgRecord[] {
  const boot = bootTimeMs();
  return recordsOf(loadedPrograms(), (p) => progRecord(p, boot));
}

/** Runs `f` on the program `args` names, closing it afterwards. */
function withProgram<T>(args: Args, f: (p: Program) => T): T {
  const ref = readRef(args, 'program', ['name', 'tag']);
  args.end();
  using p = openProgram(ref);
  return f(p);
}

function progTable(out: Output, records: readonly ProgRecord[]): void {
  const s = out.style;
  out.table(
    ['ID', 'TYPE', 'NAME', 'TAG', 'XLATED', 'JITED', 'MEMLOCK', 'MAPS', 'LOADED'],
    records.map((r) => [
      s.accent(String(r.id)),
      r.type,
      r.name || s.dim('-'),
      r.tag,
      `${r.bytes_xlated}B`,
      r.jited ? `${r.bytes_jited}B` : s.dim('no'),
      `${r.bytes_memlock}B`,
      r.map_ids ? r.map_ids.join(',') : s.dim('-'),
      new Date(r.loaded_at * 1000).toISOString().replace('.000Z', 'Z'),
    ]),
  );
}

const list: Subcommand = {
  words: ['list'],
  args: '',
  summary: 'every loaded program',
  details: 'JSON: an array of the records `prog show` prints (bpftool -j prog list field names).',
  run(args, out) {
    args.end();
    const records = allPrograms();
    if (args.flags.json) out.json(records);
    else progTable(out, records);
  },
};

const show: Subcommand = {
  words: ['show'],
  args: 'PROG',
  summary: 'one program (by name or tag, every match): id, type, name, tag, sizes, map ids, load time',
  details: `PROG := ${PROG_FORMS}\nname NAME and tag TAG show every program that has it (JSON: the record alone for one match, an array for several, as bpftool); the dump commands work on one program.\nJSON fields as bpftool -j prog show: id, type, name, tag, gpl_compatible, loaded_at, uid, bytes_xlated, jited, bytes_jited, bytes_memlock, map_ids, btf_id, run_time_ns, run_cnt, recursion_misses; plus verified_insns.`,
  run(args, out) {
    const ref = readRef(args, 'program', ['name', 'tag']);
    args.end();
    if ('name' in ref || 'tag' in ref) {
      const boot = bootTimeMs();
      const records = matchingRecords('program', loadedPrograms(), ref, progFields, (p) =>
        progRecord(p, boot),
      );
      if (args.flags.json) out.json(matchesJson(records));
      else progTable(out, records);
      return;
    }
    using p = openProgram(ref);
    const r = progRecord(p);
    if (args.flags.json) out.json(r);
    else progTable(out, [r]);
  },
};

const dumpXlated: Subcommand = {
  words: ['dump', 'xlated'],
  args: 'PROG',
  summary: 'the instructions as the verifier rewrote them, disassembled',
  details: `PROG := ${PROG_FORMS}\n${ONE_PROGRAM}\nMap references show as map[id:N]; helper calls are named from /proc/kallsyms, bpf-to-bpf calls as call pc+OFF#<the subprogram's kernel symbol>, kfunc calls by name (call bpf_rcu_read_lock#N); instructions in the kernel's syntax (r0 = *(u32 *)(r1 +0), if r1 == 0x1 goto pc+1). A program loaded with BTF has each function headed by its prototype (int f1(int x):) and each source line's instructions by the line (; return x + 1;), as bpftool prints them.\nJSON: [{ "pc", "opcode", "proto"?, "src"?, "disasm" }].`,
  run(args, out) {
    const lines = withProgram(args, (p) => {
      let symbols: KernelSymbolTable | undefined;
      const names = {
        symbols: () => {
          symbols ??= KernelSymbolTable.read();
          return symbols;
        },
        functions: () => jitedAddresses(p),
        kernelBtf,
      };
      return xlatedListing(p.instructions(), names, xlatedAnnotations(p));
    });
    if (args.flags.json)
      out.json(
        lines.map((l) => ({
          pc: l.pc,
          opcode: `0x${opcodeHex(l.opcode)}`,
          ...(l.proto !== undefined && { proto: l.proto }),
          ...(l.src !== undefined && { src: l.src }),
          disasm: l.text,
        })),
      );
    else out.text(lines.flatMap(xlatedText).join('\n'));
  },
};

/**
 * The kernel address of each JIT-compiled function of `p`, by subprogram index, to name
 * bpf-to-bpf calls; undefined when it is not JIT-compiled or the kernel withheld them (the calls
 * are then printed by their offset alone).
 */
function jitedAddresses(p: Program): bigint[] | undefined {
  try {
    return p.jitedFunctions().map((f) => f.address);
  } catch (e) {
    if (e instanceof ProgramCodeUnavailableError) return undefined;
    throw e;
  }
}

/** The text lines of one instruction: its function's prototype, its source line, then itself. */
function xlatedText(l: XlatedLine): string[] {
  return [
    ...(l.proto !== undefined ? [`${l.proto}:`] : []),
    ...(l.src !== undefined ? [`; ${l.src}`] : []),
    `${String(l.pc).padStart(4)}: (${opcodeHex(l.opcode)}) ${l.text}`,
  ];
}

const dumpJited: Subcommand = {
  words: ['dump', 'jited'],
  args: 'PROG',
  summary: 'the JIT-compiled machine code, as hex bytes (ts-ebpf has no machine-code disassembler)',
  details: `PROG := ${PROG_FORMS}\n${ONE_PROGRAM}\nJSON: { "id", "arch", "bytes_jited", "disassembled": false, "opcodes": ["0x..", …] }.`,
  run(args, out) {
    const { id, code } = withProgram(args, (p) => ({ id: p.info().id, code: p.jitedCode().bytes }));
    if (args.flags.json) {
      out.json({
        id,
        arch: process.arch,
        bytes_jited: code.byteLength,
        disassembled: false,
        opcodes: hexBytes(code),
      });
      return;
    }
    out.note(`ts-ebpf has no ${process.arch} disassembler: the jited image is printed as hex bytes`);
    out.text(`program id ${id}: ${code.byteLength} bytes of ${process.arch} machine code\n${hexDump(code)}`);
  },
};

/** `ts-ebpf prog`: list, show and dump loaded programs. */
export const progCommand = commandGroup('prog', 'inspect loaded BPF programs', [
  list,
  show,
  dumpXlated,
  dumpJited,
]);
