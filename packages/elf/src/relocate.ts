import { BpfPseudoLd } from '@ts-ebpf/uapi';
import type { ByteArena } from './byte-arena.js';
import type { ProgramSpec } from './collection-spec.js';
import { ElfError, KernelSymbolNotFoundError } from './errors.js';
import { InsnView, PSEUDO_KFUNC_CALL } from './instructions.js';

const { MAP_FD: PSEUDO_MAP_FD, MAP_VALUE: PSEUDO_MAP_VALUE, BTF_ID: PSEUDO_BTF_ID } = BpfPseudoLd;

/** What the loader knows by load time, to patch a program's references. */
export interface RelocationTargets {
  /** fd of a map by its name in the object. */
  mapFd(name: string): number | undefined;
  /** fd of the array map holding a data section (`.bss`, `.rodata` …). */
  dataFd(section: string): number | undefined;
  /** BTF id of a kernel function (kfunc), and the fd-array index of its module BTF (0 = vmlinux). */
  kfunc?(name: string): { btfId: number; btfObjFdIndex?: number } | undefined;
  /**
   * An extern: a kernel symbol's BTF id (`.ksyms`), a typeless kernel symbol's address (`.ksyms`,
   * `extern const void name __ksym`) or a kconfig variable's place in the `.kconfig` map.
   */
  extern?(
    name: string,
    section: string,
  ): { btfId: number } | { address: bigint } | { kconfigOffset: number } | undefined;
  /** Which kernel BTF `kfunc` and `extern` search, for the not-found error. */
  readonly searched?: string;
  /** What was searched for the `.ksyms` extern `name` when it differs from {@link searched} (a typeless one: `/proc/kallsyms`). */
  searchedFor?(name: string): string | undefined;
}

/** @throws ElfError naming the program and the instruction whose reference cannot be resolved */
function unresolved(spec: ProgramSpec, what: string, insn: number): never {
  throw new ElfError(`${spec.name}: instruction ${insn}: ${what}`);
}

function notFound(
  spec: ProgramSpec,
  targets: RelocationTargets,
  name: string,
  kind: 'kfunc' | 'ksym',
  insn: number,
): KernelSymbolNotFoundError {
  const searched = targets.searchedFor?.(name) ?? targets.searched ?? 'the kernel BTF';
  return new KernelSymbolNotFoundError(spec.name, name, kind, searched, insn);
}

/**
 * Returns a copy of the program's instructions with every reference patched:
 * map fds, data-section map values, kfunc and kernel symbol BTF ids, typeless kernel symbols'
 * addresses. A `__weak` kfunc or kernel symbol the kernel lacks resolves as in libbpf: its
 * address loads as 0 (so `bpf_ksym_exists()` is false) and a call of it gets BTF id 0, which
 * the verifier accepts only where that call is dead code.
 * @throws KernelSymbolNotFoundError for a kfunc or `__ksym` the kernel lacks that is not `__weak`
 * @throws ElfError naming the instruction and reference that cannot be resolved otherwise.
 */
export function relocate(spec: ProgramSpec, targets: RelocationTargets): Uint8Array {
  return patchReferences(new Uint8Array(spec.instructions), spec, targets);
}

/**
 * {@link relocate} with the copy cut from `arena` (the loader's: one buffer for a load's
 * relocated programs). Internal to the package: `ByteArena` is not exported.
 */
export function relocateInto(spec: ProgramSpec, targets: RelocationTargets, arena: ByteArena): Uint8Array {
  return patchReferences(arena.copy(spec.instructions), spec, targets);
}

/** Patches the references of `spec` in `copy`, a copy of its instructions; returns `copy`. */
function patchReferences(copy: Uint8Array, spec: ProgramSpec, targets: RelocationTargets): Uint8Array {
  const insns = new InsnView(copy, spec.name);
  for (const ref of spec.references) {
    switch (ref.kind) {
      case 'map': {
        const fd =
          targets.mapFd(ref.name) ??
          unresolved(spec, `map '${ref.name}' is not defined or was not created`, ref.insn);
        insns.setSrc(ref.insn, PSEUDO_MAP_FD);
        insns.setImm(ref.insn, fd);
        break;
      }
      case 'data': {
        const fd =
          targets.dataFd(ref.section) ?? unresolved(spec, `no map holds section ${ref.section}`, ref.insn);
        insns.setSrc(ref.insn, PSEUDO_MAP_VALUE);
        insns.setImm(ref.insn, fd);
        insns.setImm(ref.insn + 1, ref.offset);
        break;
      }
      case 'kfunc': {
        const t = targets.kfunc?.(ref.name);
        if (!t && !ref.weak) throw notFound(spec, targets, ref.name, 'kfunc', ref.insn);
        insns.setSrc(ref.insn, PSEUDO_KFUNC_CALL);
        insns.setImm(ref.insn, t?.btfId ?? 0);
        break;
      }
      case 'extern': {
        const t = targets.extern?.(ref.name, ref.section);
        if (!t && ref.weak && ref.section === '.ksyms') {
          // An unresolved weak ksym is the constant 0.
          insns.setSrc(ref.insn, 0);
          insns.setImm(ref.insn, 0);
          insns.setImm(ref.insn + 1, 0);
          break;
        }
        if (!t && ref.section === '.ksyms') throw notFound(spec, targets, ref.name, 'ksym', ref.insn);
        if (!t) return unresolved(spec, `extern '${ref.name}' (${ref.section}) cannot be resolved`, ref.insn);
        if ('btfId' in t) {
          insns.setSrc(ref.insn, PSEUDO_BTF_ID);
          insns.setImm(ref.insn, t.btfId);
          insns.setImm(ref.insn + 1, 0);
        } else if ('address' in t) {
          // A typeless ksym: its address, a plain 64-bit constant (low half, then high half).
          insns.setSrc(ref.insn, 0);
          insns.setImm(ref.insn, Number(BigInt.asIntN(32, t.address)));
          insns.setImm(ref.insn + 1, Number(BigInt.asIntN(32, t.address >> 32n)));
        } else {
          const fd = targets.dataFd('.kconfig') ?? unresolved(spec, 'no map holds .kconfig', ref.insn);
          insns.setSrc(ref.insn, PSEUDO_MAP_VALUE);
          insns.setImm(ref.insn, fd);
          insns.setImm(ref.insn + 1, t.kconfigOffset);
        }
        break;
      }
    }
  }
  return insns.bytes;
}
