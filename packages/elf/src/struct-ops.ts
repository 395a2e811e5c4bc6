import { type Btf, checkStructOpsData, checkStructOpsMembers, membersOf, resolveType } from '@ts-ebpf/btf';
import { type ElfFile, SymbolType } from '@ts-ebpf/elf-reader';
import { StructOpsTypeError, type StructOpsValueType, structOpsValueType } from '@ts-ebpf/maps';
import type { Program, StructOpsField } from '@ts-ebpf/programs';
import { BpfProgType } from '@ts-ebpf/syscall';
import type { ProgramSpec } from './collection-spec.js';
import { BpfReloc } from './constants.js';
import { ElfError, NameNotFoundError } from './errors.js';

/**
 * A struct_ops map of the object: a global variable in `.struct_ops` or `.struct_ops.link`
 * whose type is a kernel ops struct (`struct tcp_congestion_ops`), its function-pointer members
 * set to `SEC("struct_ops/…")` programs.
 */
export interface StructOpsMapSpec {
  /** The variable's name: the map's name. */
  name: string;
  /** The ELF section it is in. */
  section: string;
  /** Registered through a bpf_link (`.struct_ops.link`) or by the map update (`.struct_ops`). */
  link: boolean;
  /** The variable's bytes as the object holds them (the object's layout of the struct). */
  data: Uint8Array;
  /** Byte offset inside the variable → the program a function-pointer member points to. */
  programs: Map<number, string>;
}

/** libbpf's sections for struct_ops maps: `.struct_ops`, `.struct_ops.link`, and `.struct_ops.<any>` / `.struct_ops.link.<any>`. */
const STRUCT_OPS_SECTION = /^\.struct_ops(\..+)?$/;

function isLinkSection(name: string): boolean {
  return name === '.struct_ops.link' || name.startsWith('.struct_ops.link.');
}

/**
 * Reads the object's struct_ops maps: each variable of a `.struct_ops*` section, its bytes, and
 * which program each relocated function pointer names.
 * @throws ElfError for a relocation that is not a function pointer to a struct_ops program
 */
export function readStructOpsMaps(
  elf: ElfFile,
  programs: ReadonlyMap<string, ProgramSpec>,
): Map<string, StructOpsMapSpec> {
  const out = new Map<string, StructOpsMapSpec>();
  const relocationSections = elf.relocationSections();
  for (const section of elf.sections) {
    if (!STRUCT_OPS_SECTION.test(section.name)) continue;
    const bytes = elf.data(section);
    const variables = elf.symbols
      .filter((s) => s.section === section.index && s.type === SymbolType.OBJECT && s.name)
      .map((s) => ({ name: s.name, start: Number(s.value), end: Number(s.value + s.size) }));
    const specs = variables.map((v) => {
      if (v.end > bytes.byteLength || v.end <= v.start)
        throw new ElfError(`struct_ops map ${v.name} lies outside section ${section.name}`, section.offset);
      const spec: StructOpsMapSpec = {
        name: v.name,
        section: section.name,
        link: isLinkSection(section.name),
        data: new Uint8Array(bytes.subarray(v.start, v.end)),
        programs: new Map(),
      };
      out.set(v.name, spec);
      return { ...v, spec };
    });
    const rel = relocationSections.get(section.index);
    for (const r of rel ? elf.relocations(rel) : []) {
      const at = Number(r.offset);
      const holder = specs.find((v) => at >= v.start && at < v.end);
      const symbol = elf.symbols[r.symbol]!;
      const where = holder ? `struct_ops map ${holder.name}+${at - holder.start}` : `${section.name}+${at}`;
      if (!holder) throw new ElfError(`${where}: a relocation outside every variable`, section.offset + at);
      if (r.type !== BpfReloc.R_BPF_64_ABS64 || symbol.type !== SymbolType.FUNC)
        throw new ElfError(
          `${where}: relocation against '${symbol.name}' is not a function pointer (only struct_ops programs may be referenced here)`,
          section.offset + at,
        );
      const program = programs.get(symbol.name);
      if (!program || program.sectionDef.progType !== BpfProgType.STRUCT_OPS)
        throw new ElfError(
          `${where}: function '${symbol.name}' is not a program in a struct_ops/ or struct_ops.s/ section`,
          section.offset + at,
        );
      holder.spec.programs.set(at - holder.start, symbol.name);
    }
  }
  return out;
}

/** Where a struct_ops program is loaded: the ops struct's BTF id and the member's index. */
export interface StructOpsAttach {
  readonly attachBtfId: number;
  readonly expectedAttachType: number;
}

/** One struct_ops map of the object matched against the kernel's ops struct. */
export interface StructOpsPlan {
  readonly spec: StructOpsMapSpec;
  /** The kernel ops struct's layout. */
  readonly layout: StructOpsValueType;
  /** Kernel member name → program name. */
  readonly programs: ReadonlyMap<string, string>;
  /** Kernel member name → the object's bytes for it (same size as the kernel's member). */
  readonly fields: ReadonlyMap<string, Uint8Array>;
}

/** Every struct_ops map of the object matched against kernel BTF, and what each program is loaded against. */
export interface StructOpsPlans {
  readonly maps: readonly StructOpsPlan[];
  /** Program name → its ops struct and member. */
  readonly attach: ReadonlyMap<string, StructOpsAttach>;
}

/** The local struct a `.struct_ops*` variable has, from the object's BTF. */
function localStruct(btf: Btf, spec: StructOpsMapSpec): { name: string; id: number } {
  const datasec = btf.find(spec.section, 'datasec');
  for (const v of datasec?.vars ?? []) {
    const variable = btf.type(v.type);
    if (variable.kind !== 'var' || variable.name !== spec.name) continue;
    const t = resolveType(btf, variable.type);
    if (t.kind !== 'struct')
      throw new ElfError(`struct_ops map ${spec.name}: its type is a ${t.kind}, not a struct`);
    // libbpf's flavours: `struct tcp_congestion_ops___v2` implements `tcp_congestion_ops`
    return { name: t.name.replace(/___.*$/, ''), id: t.id };
  }
  throw new ElfError(
    `struct_ops map ${spec.name}: the object's BTF does not describe it (no VAR in ${spec.section})`,
  );
}

function isFuncPointer(btf: Btf, type: number): boolean {
  const t = resolveType(btf, type);
  return t.kind === 'ptr' && resolveType(btf, t.type).kind === 'func_proto';
}

/**
 * Matches each struct_ops map with the kernel's ops struct, member by member, as libbpf does:
 * function pointers name programs (each then loaded with the struct's BTF id and the member's
 * index), other members are copied from the object's data; a member the kernel lacks is an
 * error unless it is zero in the object.
 * @throws StructOpsTypeError naming the ops struct when the kernel lacks it, or naming the
 * member a program or a non-zero value is bound to when the kernel's struct lacks it
 * @throws StructOpsDataError (of `@ts-ebpf/btf`) naming the map, the member and the rule when
 * a data member holds what the kernel refuses for the type (a `tcp_congestion_ops` name cut to
 * its array or with other characters than letters, digits, `_` and `.`; flags outside
 * `TCP_CONG_*`; a non-zero member the kernel does not take), before anything is loaded
 * @throws ElfError when the object's BTF does not describe a map, a member does not match
 * the kernel's, or one program is bound to two different members
 */
export function planStructOps(
  maps: ReadonlyMap<string, StructOpsMapSpec>,
  localBtf: Btf | undefined,
  kernelBtf: () => Btf,
): StructOpsPlans {
  const plans: StructOpsPlan[] = [];
  const attach = new Map<string, StructOpsAttach & { member: string; map: string }>();
  for (const spec of maps.values()) {
    if (!localBtf) throw new ElfError(`struct_ops map ${spec.name}: the object has no .BTF to describe it`);
    const local = localStruct(localBtf, spec);
    const kernel = kernelBtf();
    const layout = structOpsValueType(local.name, kernel);
    const programs = new Map<string, string>();
    const fields = new Map<string, Uint8Array>();
    const fail = (member: string, why: string) =>
      new StructOpsTypeError(layout.type, `map ${spec.name}: member '${member}': ${why}`);
    for (const m of membersOf(localBtf, local.id)) {
      const offset = m.byteOffset;
      const kernelMember = layout.members.find((k) => k.name === m.name);
      const program = spec.programs.get(offset);
      if (isFuncPointer(localBtf, m.type)) {
        if (program === undefined) {
          // A function pointer left NULL. A non-zero value without a relocation is no program.
          if (spec.data.subarray(offset, offset + 8).some((b) => b !== 0))
            throw new ElfError(
              `struct_ops map ${spec.name}: member '${m.name}' holds an address that names no program`,
            );
          continue;
        }
        if (!kernelMember)
          throw fail(
            m.name,
            `program '${program}' is bound to it, but this kernel's struct ${layout.type} has no such member`,
          );
        if (!kernelMember.funcPointer)
          throw fail(
            m.name,
            `program '${program}' is bound to it, but in the kernel it is not a function pointer`,
          );
        const previous = attach.get(program);
        if (
          previous &&
          (previous.attachBtfId !== layout.typeId || previous.expectedAttachType !== kernelMember.index)
        )
          throw new ElfError(
            `program '${program}' is bound to ${previous.map}.${previous.member} and to ${spec.name}.${m.name}: a struct_ops program implements one member`,
          );
        attach.set(program, {
          attachBtfId: layout.typeId,
          expectedAttachType: kernelMember.index,
          member: m.name,
          map: spec.name,
        });
        programs.set(m.name, program);
        continue;
      }
      const bytes = localBytes(spec, m.name, offset, m.size);
      if (!kernelMember) {
        if (bytes.some((b) => b !== 0))
          throw fail(
            m.name,
            `the object sets it, but this kernel's struct ${layout.type} has no such member`,
          );
        continue; // zero and absent from the kernel: nothing to copy, as in libbpf
      }
      if (m.bitfieldSize !== 0) throw fail(m.name, 'bitfield members of struct_ops maps are not supported');
      if (kernelMember.funcPointer)
        throw fail(m.name, 'it is a function pointer in the kernel but data in the object');
      if (kernelMember.size !== bytes.byteLength)
        throw fail(
          m.name,
          `it is ${bytes.byteLength} bytes in the object but ${kernelMember.size} in the kernel`,
        );
      fields.set(m.name, bytes);
    }
    // Given: the members bound to a program, and the data members the object sets (not zero).
    const given = [
      ...programs.keys(),
      ...[...fields].filter(([, b]) => b.some((x) => x !== 0)).map(([m]) => m),
    ];
    checkStructOpsMembers(layout.type, given, spec.name);
    checkData(kernel, layout, fields, spec.name);
    plans.push({ spec, layout, programs, fields });
  }
  return { maps: plans, attach };
}

/**
 * Checks what the map value will hold in each data member of the kernel's struct (the object's
 * bytes, zero where the object has none) against the kernel's rules for the type, as the map
 * update would: names, flags, members it does not take (`checkStructOpsData` of `@ts-ebpf/btf`).
 * @throws StructOpsDataError naming the map, the member and the rule
 */
function checkData(
  kernel: Btf,
  layout: StructOpsValueType,
  fields: ReadonlyMap<string, Uint8Array>,
  map: string,
): void {
  for (const k of layout.members)
    if (!k.funcPointer)
      checkStructOpsData(kernel, layout.type, k, fields.get(k.name) ?? new Uint8Array(0), map);
}

function localBytes(spec: StructOpsMapSpec, member: string, offset: number, size: number): Uint8Array {
  if (offset + size > spec.data.byteLength)
    throw new ElfError(
      `struct_ops map ${spec.name}: member '${member}' ends past the variable's ${spec.data.byteLength} bytes`,
    );
  return spec.data.subarray(offset, offset + size);
}

/**
 * The programs and data members of one planned map, for `StructOps.create` of `@ts-ebpf/programs`.
 * @throws NameNotFoundError when a program the map holds was not loaded (left out by `options.programs`)
 */
export function structOpsMembers(
  plan: StructOpsPlan,
  loaded: ReadonlyMap<string, Program>,
): { programs: Record<string, Program>; fields: Record<string, StructOpsField> } {
  const programs: Record<string, Program> = {};
  for (const [member, name] of plan.programs) {
    const program = loaded.get(name);
    if (!program)
      throw new NameNotFoundError(
        'program',
        name,
        [...loaded.keys()],
        `the loaded programs, but struct_ops map ${plan.spec.name}.${member} holds it: add it to options.programs`,
      );
    programs[member] = program;
  }
  return { programs, fields: Object.fromEntries(plan.fields) };
}
