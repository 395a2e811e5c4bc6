import { BpfProgType } from '@ts-ebpf/syscall';
import { attachTypeName, progTypeName, SECTION_DEFS, UnknownNameError } from '@ts-ebpf/uapi';
import type { ProgramSpec } from './collection-spec.js';
import { SpecEditError } from './errors.js';

/** Program types loaded against a kernel BTF attach target (`attachTo`): fentry/fexit/tp_btf/iter, LSM. */
export const BTF_TARGETED: ReadonlySet<number> = new Set([BpfProgType.TRACING, BpfProgType.LSM]);

/**
 * Program types whose expected attach type the kernel checks at BPF_PROG_LOAD (kernel/bpf/syscall.c,
 * `bpf_prog_load_check_attach`): for these, only the attach types libbpf's section names pair
 * with the type are accepted.
 */
const LOAD_CHECKED: ReadonlySet<number> = new Set([
  BpfProgType.CGROUP_SOCK,
  BpfProgType.CGROUP_SOCK_ADDR,
  BpfProgType.CGROUP_SKB,
  BpfProgType.CGROUP_SOCKOPT,
  BpfProgType.SK_LOOKUP,
  BpfProgType.SK_REUSEPORT,
  BpfProgType.NETFILTER,
  BpfProgType.TRACING,
  BpfProgType.LSM,
]);

/** The attach types the section table pairs with each program type. */
const ATTACH_TYPES_OF = new Map<number, Set<number>>();
for (const def of SECTION_DEFS) {
  if (def.expectedAttachType === undefined) continue;
  const set = ATTACH_TYPES_OF.get(def.progType) ?? new Set<number>();
  set.add(def.expectedAttachType);
  ATTACH_TYPES_OF.set(def.progType, set);
}

/** Names already looked up (a collection checks every program, each a name search of the enum). */
const knownNames = new Map<(v: number) => string, Map<number, string>>();

/**
 * The lower-case name of `value` in an enum.
 * @throws SpecEditError naming program `program` and its `setting` for a value the enum lacks
 */
function known(name: (v: number) => string, value: number, program: string, setting: string): string {
  let names = knownNames.get(name);
  if (!names) {
    names = new Map();
    knownNames.set(name, names);
  }
  const cached = names.get(value);
  if (cached !== undefined) return cached;
  try {
    if (!Number.isInteger(value)) throw new UnknownNameError('value', value);
    const found = name(value).toLowerCase();
    names.set(value, found);
    return found;
  } catch (e) {
    if (e instanceof UnknownNameError)
      throw definitionError(program, setting, `is ${value}, which is ${e.message}`, e);
    throw e;
  }
}

/**
 * Checks a program spec's type, expected attach type and attach target against each other,
 * throwing the first conflict as a {@link SpecEditError} naming the program.
 */
export function checkProgramDefinition(prog: ProgramSpec): void {
  const { progType, expectedAttachType, target } = prog.sectionDef;
  const type = known(progTypeName, progType, prog.name, 'type');
  if (expectedAttachType !== undefined) {
    const attach = known(attachTypeName, expectedAttachType, prog.name, 'expectedAttachType');
    const allowed = ATTACH_TYPES_OF.get(progType);
    if (LOAD_CHECKED.has(progType) && allowed && !allowed.has(expectedAttachType))
      throw definitionError(
        prog.name,
        'expectedAttachType',
        `is ${attach}, which the kernel refuses for ${type} programs (they take ${[...allowed]
          .map((a) => attachTypeName(a).toLowerCase())
          .join(', ')})`,
      );
  } else if (BTF_TARGETED.has(progType)) {
    throw definitionError(
      prog.name,
      'expectedAttachType',
      `is not set: ${type} programs are loaded for one attach type`,
    );
  }
  if (prog.autoload !== undefined && typeof prog.autoload !== 'boolean')
    throw definitionError(prog.name, 'autoload', `is ${String(prog.autoload)}: expected true or false`);
  if (target !== undefined && typeof target !== 'string')
    throw definitionError(prog.name, 'attachTarget', `is ${String(target)}: expected a name`);
}

/** A program setting that cannot be loaded, as a {@link SpecEditError} naming the program. */
function definitionError(program: string, setting: string, why: string, cause?: unknown): SpecEditError {
  return new SpecEditError('program', program, setting, why, cause === undefined ? undefined : { cause });
}

/**
 * Changes one program of a collection spec before load, like libbpf's `bpf_program__set_*`:
 * each setter checks the value and throws a {@link SpecEditError} naming the program, leaving
 * the spec unchanged. A type and an expected attach type that only fit each other once both
 * are set are checked together by `loadCollection`, before the kernel is asked.
 */
export class ProgramEdit {
  /** The program's (function's) name. */
  readonly name: string;
  readonly #prog: ProgramSpec;

  /** @internal */
  constructor(prog: ProgramSpec) {
    this.name = prog.name;
    this.#prog = prog;
  }

  #fail(setting: string, why: string, cause?: unknown): never {
    throw definitionError(this.name, setting, why, cause);
  }

  /** Loads the program with the collection, or leaves it out (`bpf_program__set_autoload`). */
  setAutoload(autoload: boolean): this {
    if (typeof autoload !== 'boolean')
      this.#fail('autoload', `is ${String(autoload)}: expected true or false`);
    this.#prog.autoload = autoload;
    return this;
  }

  /**
   * Loads the program as another `BpfProgType` (`bpf_program__set_type`). Set the expected
   * attach type too when the new type needs another one.
   * @throws SpecEditError for a number that is no program type
   */
  setType(type: number): this {
    known(progTypeName, type, this.name, 'type');
    this.#prog.sectionDef = { ...this.#prog.sectionDef, progType: type };
    return this;
  }

  /**
   * Loads the program for another `BpfAttachType` (`bpf_program__set_expected_attach_type`),
   * or for none with `undefined`.
   * @throws SpecEditError for a number that is no attach type
   */
  setExpectedAttachType(attachType: number | undefined): this {
    const { expectedAttachType: _, ...rest } = this.#prog.sectionDef;
    if (attachType === undefined) {
      this.#prog.sectionDef = rest;
      return this;
    }
    known(attachTypeName, attachType, this.name, 'expectedAttachType');
    this.#prog.sectionDef = { ...rest, expectedAttachType: attachType };
    return this;
  }

  /**
   * Loads the program against another kernel BTF target (`bpf_program__set_attach_target`
   * with a function name): a function for fentry/fexit/fmod_ret, a tracepoint for tp_btf
   * (`sched_switch`), an LSM hook, an iterator (`task`). Targets inside other BPF programs
   * (freplace) are not supported by this loader.
   * @throws SpecEditError when the program type has no such target, or the name is empty
   */
  setAttachTarget(target: string): this {
    const type = this.#prog.sectionDef.progType;
    if (!BTF_TARGETED.has(type))
      this.#fail(
        'attachTarget',
        `${JSON.stringify(target)}: ${progTypeName(type).toLowerCase()} programs have no attach target (only tracing and lsm programs do)`,
      );
    if (typeof target !== 'string' || target === '')
      this.#fail('attachTarget', `is ${JSON.stringify(target)}: expected a kernel BTF name`);
    this.#prog.sectionDef = { ...this.#prog.sectionDef, target };
    return this;
  }
}
