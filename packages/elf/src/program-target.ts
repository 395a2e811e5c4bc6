/**
 * Programs loaded against a function of another, already loaded BPF program (libbpf's
 * `bpf_program__set_attach_target(prog, attach_prog_fd, func)`): freplace (BPF_PROG_TYPE_EXT)
 * replaces a global function of it, fentry/fexit trace one of its functions. The function's BTF
 * id is found in the target program's own BTF, among the functions its func_info lists.
 */
import { attachTracing, type Link, Program } from '@ts-ebpf/programs';
import { BpfAttachType, BpfProgType } from '@ts-ebpf/syscall';
import { closestName } from '@ts-ebpf/uapi';
import type { ProgramSpec } from './collection-spec.js';
import { SectionAttachError, SpecEditError } from './errors.js';

/** Options of `ProgramEdit.setAttachTarget`. */
export interface AttachTargetOptions {
  /**
   * A loaded BPF program (with BTF) whose function the target names: the program is loaded
   * against it (`attach_prog_fd`) rather than against the kernel. For freplace programs, which
   * need one, and fentry/fexit programs tracing a BPF function. It must stay open until the
   * collection is loaded (and attached, for freplace).
   */
  readonly program?: Program;
}

/** What keeps a program from being loaded against a function of another program. */
export type ProgramTargetProblem =
  /** The program's type and attach type cannot target a BPF program (only freplace, fentry, fexit can). */
  | 'program-type'
  /** An freplace program given no target program: it has no kernel target. */
  | 'no-program'
  /** The target program was loaded without BTF: its functions have no BTF ids. */
  | 'no-btf'
  /** The target program has no function of that name (or none was named). */
  | 'no-function'
  /** freplace of a static function: the kernel replaces only global ones. */
  | 'static';

/**
 * A program that cannot be loaded against a function of another BPF program, found before the
 * kernel is asked: a {@link SpecEditError} of the program's `attachTarget` setting, with the
 * problem as a field.
 */
export class ProgramTargetError extends SpecEditError {
  /** What is wrong. */
  readonly problem: ProgramTargetProblem;
  /** The function named as the target, if any. */
  readonly target: string | undefined;
  /**
   * @param program - the name of the program being loaded
   * @param target - the function named as its target
   * @param problem - what is wrong
   * @param why - the message's explanation, naming the target program
   */
  constructor(program: string, target: string | undefined, problem: ProgramTargetProblem, why: string) {
    super('program', program, 'attachTarget', why);
    this.problem = problem;
    this.target = target;
  }
}

/** What a program is loaded with to target a function of another program. */
export interface ProgramTarget {
  /** `attach_prog_fd`: the target program's fd. */
  readonly attachProgFd: number;
  /** `attach_btf_id`: the function's `FUNC` id in the target program's BTF. */
  readonly attachBtfId: number;
}

/** The attach types of tracing programs the kernel attaches to another BPF program's function. */
const ON_PROGRAMS: ReadonlySet<number> = new Set([BpfAttachType.TRACE_FENTRY, BpfAttachType.TRACE_FEXIT]);

/** How the target program appears in messages (a closed one throws ObjectClosedError here). */
function describe(target: Program): string {
  return `${target.name ? `program '${target.name}'` : 'the target program'} (id ${target.info().id})`;
}

/**
 * Checks that a program of this type and attach type may be loaded against a function of a BPF
 * program (freplace, fentry, fexit).
 * @throws ProgramTargetError naming `program`
 */
export function checkProgramTargetKind(
  program: string,
  def: { progType: number; expectedAttachType?: number | undefined },
  target: string | undefined,
): void {
  const { progType, expectedAttachType } = def;
  if (progType === BpfProgType.EXT) return;
  if (progType === BpfProgType.TRACING && ON_PROGRAMS.has(expectedAttachType ?? -1)) return;
  throw new ProgramTargetError(
    program,
    target,
    'program-type',
    `${JSON.stringify(target)} of another program: only freplace, fentry and fexit programs target a function of a BPF program (the kernel refuses the others)`,
  );
}

/**
 * What `prog` is loaded with to target a function of its target program (`attachProgram`), or
 * undefined for a program loaded against the kernel.
 * @throws ProgramTargetError for an freplace program without a target program, a target program
 *   without BTF, a function it does not have, or (freplace) a static function
 */
export function programTarget(prog: ProgramSpec): ProgramTarget | undefined {
  const { attachProgram: target, sectionDef: def } = prog;
  const func = def.target;
  if (target === undefined) {
    if (def.progType !== BpfProgType.EXT) return undefined;
    throw new ProgramTargetError(
      prog.name,
      func,
      'no-program',
      `names no program: an freplace program (section ${prog.section}) replaces a function of a loaded BPF program; ` +
        'give it with spec.adjust.program(name).setAttachTarget(func, { program })',
    );
  }
  checkProgramTargetKind(prog.name, def, func);
  const fail = (problem: ProgramTargetProblem, why: string): never => {
    throw new ProgramTargetError(prog.name, func, problem, why);
  };
  if (func === undefined || func === '')
    fail(
      'no-function',
      `names no function of ${describe(target)}: the section has none, and setAttachTarget gave none`,
    );
  if (target.btf() === undefined)
    fail(
      'no-btf',
      `${JSON.stringify(func)}: ${describe(target)} was loaded without BTF, so its functions have no BTF ids (a clang object built with -g, or Program.load with btfFd and funcInfo, has them)`,
    );
  const functions = target.funcInfo();
  const found = functions.find((f) => f.name === func);
  if (!found) {
    const names = functions.map((f) => f.name);
    const near = closestName(func!, names);
    fail(
      'no-function',
      `${JSON.stringify(func)}: ${describe(target)} has no such function (it has: ${names.join(', ') || 'none'})` +
        (near === undefined ? '' : `; did you mean '${near}'?`),
    );
  }
  const type = target.btf()!.type(found!.typeId);
  if (def.progType === BpfProgType.EXT && type.kind === 'func' && type.linkage === 'static')
    fail(
      'static',
      `${JSON.stringify(func)}: the function of ${describe(target)} is static, and the kernel replaces only global functions`,
    );
  return { attachProgFd: target.fd, attachBtfId: found!.typeId };
}

/**
 * The attach of an freplace program by its section: a link replacing the function it was loaded
 * against, in the target program it was given.
 * @throws SectionAttachError when the spec has no target program
 */
export function freplaceAttach(spec: ProgramSpec): (program: Program) => Link {
  const target = spec.attachProgram;
  if (!(target instanceof Program))
    throw new SectionAttachError(
      spec.name,
      spec.section,
      'an freplace program attaches to the program it was loaded against, and the spec names none: setAttachTarget(func, { program })',
    );
  return (program) =>
    attachTracing(program, { targetProgram: target, targetBtfId: program.info().attachBtfId });
}
