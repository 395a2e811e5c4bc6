import { Program } from '@ts-ebpf/programs';
import { BpfProgLoadFlag, BpfProgType, isVerifierLogLevel } from '@ts-ebpf/syscall';
import { attachTypeName, progTypeName, SECTION_DEFS, UnknownNameError } from '@ts-ebpf/uapi';
import type { ProgramSpec } from './collection-spec.js';
import { SpecEditError } from './errors.js';
import { type AttachTargetOptions, checkProgramTargetKind, ProgramTargetError } from './program-target.js';

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

/** Every `BPF_F_*` flag of BPF_PROG_LOAD a program may be given (linux/bpf.h; `BPF_F_TOKEN_FD` is the loader's). */
const LOAD_FLAGS = Object.values(BpfProgLoadFlag).reduce((all, flag) => all | flag, 0);
/** Flags only XDP programs take. */
const XDP_FLAGS = BpfProgLoadFlag.XDP_HAS_FRAGS | BpfProgLoadFlag.XDP_DEV_BOUND_ONLY;
/** The program types the section table has sleepable sections of (`fentry.s`, `lsm.s`, `uprobe.s`, `struct_ops.s`, `syscall` …). */
const SLEEPABLE_TYPES: ReadonlySet<number> = new Set(
  SECTION_DEFS.filter((def) => def.sleepable).map((def) => def.progType),
);

/** The `BPF_F_*` flags a program is loaded with: those set by `setFlags`, else those its section gives. */
export function programFlags(prog: ProgramSpec): number {
  if (prog.flags !== undefined) return prog.flags;
  const def = prog.sectionDef;
  return (def.sleepable ? BpfProgLoadFlag.SLEEPABLE : 0) | (def.xdpFrags ? BpfProgLoadFlag.XDP_HAS_FRAGS : 0);
}

/** The names of the load flags in `flags` (`BPF_F_SLEEPABLE`). */
function flagNames(flags: number): string {
  return Object.entries(BpfProgLoadFlag)
    .filter(([, bit]) => (flags & bit) !== 0)
    .map(([name]) => `BPF_F_${name}`)
    .join(' | ');
}

/**
 * Checks a program's load flags against its type: only known flags, XDP flags on XDP programs,
 * `BPF_F_SLEEPABLE` on a type that has sleepable programs.
 * @throws SpecEditError naming the program and `flags`
 */
function checkFlags(program: string, flags: number, progType: number): void {
  const fail = (why: string): never => {
    throw definitionError(program, 'flags', `is 0x${(flags >>> 0).toString(16)}: ${why}`);
  };
  if (!Number.isInteger(flags) || flags < 0 || flags > 0xffff_ffff)
    fail('expected a 32-bit unsigned integer');
  const unknown = flags & ~LOAD_FLAGS;
  if (unknown !== 0) fail(`bits 0x${(unknown >>> 0).toString(16)} are no BPF_F_* program load flag`);
  const type = (): string => progTypeName(progType).toLowerCase();
  if ((flags & XDP_FLAGS) !== 0 && progType !== BpfProgType.XDP)
    fail(`${flagNames(flags & XDP_FLAGS)} is for xdp programs, and this is a ${type()} program`);
  if ((flags & BpfProgLoadFlag.SLEEPABLE) !== 0 && !SLEEPABLE_TYPES.has(progType))
    fail(
      `BPF_F_SLEEPABLE is for ${[...SLEEPABLE_TYPES].map((t) => progTypeName(t).toLowerCase()).join(', ')} programs, ` +
        `and this is a ${type()} program`,
    );
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
  // The section's flags too: a program whose type was changed may no longer take them.
  checkFlags(prog.name, programFlags(prog), progType);
  if (prog.logLevel !== undefined) checkLogLevel(prog.name, prog.logLevel);
  if (target !== undefined && typeof target !== 'string')
    throw definitionError(prog.name, 'attachTarget', `is ${String(target)}: expected a name`);
  // The type may have changed since the target program was given.
  if (prog.attachProgram !== undefined) checkProgramTargetKind(prog.name, prog.sectionDef, target);
}

/** @throws SpecEditError naming the program for a verifier log level the kernel refuses */
function checkLogLevel(program: string, level: number): void {
  if (!isVerifierLogLevel(level))
    throw definitionError(
      program,
      'logLevel',
      `is ${level}: expected 0 (a log only when the load fails), or BPF_LOG_LEVEL1 (1), BPF_LOG_LEVEL2 (2), BPF_LOG_STATS (4) and BPF_LOG_FIXED (8) or'd together`,
    );
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
   * Loads the program with these `BPF_F_*` flags (`bpf_program__set_flags`; a `BpfProgLoadFlag`
   * value or several or'd together), in place of those its section gives (`BPF_F_SLEEPABLE` for
   * `fentry.s` …, `BPF_F_XDP_HAS_FRAGS` for `xdp.frags`): read them with `flags` and or in yours
   * to keep them.
   * @throws SpecEditError for bits that are no program load flag, an XDP flag on a program of
   *   another type, `BPF_F_SLEEPABLE` on a type without sleepable programs (checked again at
   *   load, against the type the program has then)
   */
  setFlags(flags: number): this {
    checkFlags(this.name, flags, this.#prog.sectionDef.progType);
    this.#prog.flags = flags;
    return this;
  }

  /** The `BPF_F_*` flags the program will be loaded with (its section's, or those of `setFlags`). */
  get flags(): number {
    return programFlags(this.#prog);
  }

  /**
   * The verifier log level of this program (`bpf_program__set_log_level`), over the collection's
   * `options.logLevel`: with a level above 0, the loaded program's `verifierLog` holds the
   * verifier's log of it; 0 asks for a log only when the load fails.
   * @throws SpecEditError for a level the kernel refuses (bits other than 1, 2, 4 and 8)
   */
  setLogLevel(level: number): this {
    checkLogLevel(this.name, level);
    this.#prog.logLevel = level;
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
   * Loads the program against another attach target (`bpf_program__set_attach_target`). With a
   * name only, a kernel BTF name: a function for fentry/fexit/fmod_ret, a tracepoint for tp_btf
   * (`sched_switch`), an LSM hook, an iterator (`task`). With `options.program`, a function of
   * that loaded BPF program (libbpf's `attach_prog_fd`): the global function an freplace program
   * replaces, or the function an fentry/fexit program traces. Its BTF id is looked up in the
   * target program's BTF when the collection is loaded. A name without `program` forgets a
   * program given before.
   * @throws SpecEditError when the program type has no such target, or the name is empty
   * @throws ProgramTargetError when the program cannot target a BPF program (only freplace,
   *   fentry and fexit can), or an freplace program is given no program
   */
  setAttachTarget(target: string, options: AttachTargetOptions = {}): this {
    const def = this.#prog.sectionDef;
    const { program } = options;
    if (program !== undefined) {
      checkProgramTargetKind(this.name, def, target);
      if (!(program instanceof Program))
        this.#fail('attachTarget', `of ${JSON.stringify(target)}: options.program is not a loaded Program`);
    } else if (def.progType === BpfProgType.EXT) {
      throw new ProgramTargetError(
        this.name,
        target,
        'no-program',
        `${JSON.stringify(target)}: an freplace program replaces a function of a loaded BPF program; give it as { program }`,
      );
    } else if (!BTF_TARGETED.has(def.progType))
      this.#fail(
        'attachTarget',
        `${JSON.stringify(target)}: ${progTypeName(def.progType).toLowerCase()} programs have no attach target (only tracing and lsm programs, and freplace programs in a BPF program, do)`,
      );
    if (typeof target !== 'string' || target === '')
      this.#fail(
        'attachTarget',
        `is ${JSON.stringify(target)}: expected a ${program ? 'function name' : 'kernel BTF name'}`,
      );
    this.#prog.sectionDef = { ...def, target };
    if (program) this.#prog.attachProgram = program;
    else delete this.#prog.attachProgram;
    return this;
  }
}
