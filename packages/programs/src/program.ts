import type { Btf } from '@ts-ebpf/btf';
import { disassemble, type Instruction } from '@ts-ebpf/dsl';
import {
  BpfStatsType,
  type ClosesLater,
  checkThreads,
  closeLater,
  enableStats,
  OwnedFd,
  objGet,
  type ProgInfo,
  pinObject,
  progGetFdById,
  progInfo,
  unpin,
} from '@ts-ebpf/syscall';
import { HOST_BYTE_ORDER } from '@ts-ebpf/uapi';
import { describeProgram } from './attach/check.js';
import { effectiveExpectedAttachType } from './default-expected-attach-type.js';
import { NotAProgramError } from './errors.js';
import { defaultThreads, type LoadEachAsyncOptions, type LoadEachOptions } from './load-each-options.js';
import { type ProgramLoadOptions, prepareLoad } from './load-options.js';
import {
  type EachResult,
  type LoadResult,
  type LogLoad,
  loadEachWithLog,
  loadEachWithLogAsync,
  loadWithLog,
  loadWithLogAsync,
} from './log.js';
import { fdKind } from './object-kind.js';
import {
  type JitedCode,
  type JitedFunction,
  jitedCode,
  jitedFunctions,
  loadedProgramBtf,
  programFuncInfo,
  programLineInfo,
  xlatedCode,
} from './program-code.js';
import type { FuncInfo, LineInfo } from './source-location.js';
import { runTest, type TestRunOptions, type TestRunResult } from './test-run.js';

/** A loaded program's information (`bpf_prog_info`), with run statistics. */
export interface ProgramInfo extends ProgInfo {
  /** Times the program ran (counted only while statistics are enabled: `Program.enableStats()`). */
  readonly runCount: bigint;
  /** Total run time in nanoseconds (same condition). */
  readonly runTimeNs: bigint;
}

/** What a program object knows about itself without asking the kernel. */
interface ProgramMeta {
  readonly type: number;
  readonly name: string;
  readonly expectedAttachType?: number | undefined;
  readonly log?: string;
}

/**
 * A loaded BPF program: a file descriptor plus what it was loaded as. `close()` is
 * idempotent, `using` closes it, a forgotten program is closed when garbage-collected,
 * and using a closed program throws `ObjectClosedError`.
 */
export class Program implements Disposable, ClosesLater {
  readonly #fd: OwnedFd;
  /** `BpfProgType.*`. */
  readonly type: number;
  /** The program's name (may be empty). */
  readonly name: string;
  /**
   * The expected attach type it was loaded with, or the kernel's own where it puts one in place
   * of none (CGROUP_INET_SOCK_CREATE for CGROUP_SOCK, SK_REUSEPORT_SELECT for SK_REUSEPORT);
   * undefined when none was given, and for programs opened by pin/id/fd (the kernel does not tell).
   */
  readonly expectedAttachType: number | undefined;
  /** The verifier log of a load that requested one (`logLevel` > 0), else `''`. */
  readonly verifierLog: string;
  /** The program's BTF once read (a loaded program's BTF never changes); null before. */
  #btf: Btf | undefined | null = null;

  private constructor(fd: number, meta: ProgramMeta) {
    this.#fd = new OwnedFd(fd, `program${meta.name ? ` '${meta.name}'` : ''}`);
    this.type = meta.type;
    this.name = meta.name;
    this.expectedAttachType = meta.expectedAttachType;
    this.verifierLog = meta.log ?? '';
  }

  /**
   * Verifies and loads a program. Without `logLevel` the load asks for no log; on failure
   * it is retried with a log, and a rejection throws {@link VerifierError}.
   * @throws VerifierError when the verifier rejects the program
   * @throws BpfSyscallError for other failures (permissions, unknown types …)
   */
  static load(options: ProgramLoadOptions): Program {
    const { attr, code } = prepareLoad(options);
    return Program.#loaded(options, attr.expectedAttachType, loadWithLog(attr, code, options));
  }

  /**
   * {@link Program.load} with the kernel's verification run on a worker thread (libuv's pool), so
   * that several loads can run at once and the event loop stays free. The options are checked
   * on the calling thread first, and failures are the same errors as `load`'s. Buffers in
   * `options` must not change until the promise settles. A load that asks for a verifier log
   * (`logLevel`), and the logged retry of a failed load, run on the calling thread.
   * @throws VerifierError when the verifier rejects the program
   * @throws BpfSyscallError for other failures (permissions, unknown types …)
   */
  static async loadAsync(options: ProgramLoadOptions): Promise<Program> {
    const { attr, code } = prepareLoad(options);
    return Program.#loaded(options, attr.expectedAttachType, await loadWithLogAsync(attr, code, options));
  }

  /**
   * Loads several programs, verified on several threads at once (see
   * {@link LoadEachOptions.threads}): the kernel verifies a program on the thread that loads it, so
   * with idle cores the batch takes less wall time than {@link Program.load} of each in turn. Every
   * program's options are checked and prepared first, on this thread; a failure there is thrown
   * before any program is loaded. Then each entry of the result is the loaded program or what its
   * load failed with (the error {@link Program.load} throws: a `VerifierError` for a
   * rejection …), in the order given; the caller owns every program returned. A load that asks
   * for a verifier log, and the logged retry of a failed load, run on this thread. Blocks until
   * every load has returned.
   * @throws BpfArgumentError for bad options or a bad thread count (nothing is loaded)
   * @throws HelperThreadError when a helper thread failed (nothing is left loaded)
   */
  static loadEach(
    list: readonly ProgramLoadOptions[],
    options: LoadEachOptions = {},
  ): (Program | { readonly error: unknown })[] {
    const threads = checkThreads(options.threads ?? defaultThreads(), 'threads');
    const prepared = list.map(Program.#prepare);
    return Program.#each(list, prepared, loadEachWithLog(prepared, threads));
  }

  /**
   * {@link Program.loadEach} with every load that asks for no log made by
   * `options.concurrency` helper threads, this thread (and its event loop) free meanwhile; the
   * logged loads then run on this thread. The options' buffers must not change until the promise
   * settles.
   * @throws BpfArgumentError for bad options or a bad `concurrency` (nothing is loaded)
   * @throws HelperThreadError when a helper thread failed (nothing is left loaded)
   */
  static async loadEachAsync(
    list: readonly ProgramLoadOptions[],
    options: LoadEachAsyncOptions = {},
  ): Promise<(Program | { readonly error: unknown })[]> {
    const helpers = checkThreads(options.concurrency ?? defaultThreads(), 'concurrency');
    const prepared = list.map(Program.#prepare);
    return Program.#each(list, prepared, await loadEachWithLogAsync(prepared, helpers));
  }

  static #prepare(this: void, o: ProgramLoadOptions): LogLoad {
    const { attr, code } = prepareLoad(o);
    return { attr, code, options: o };
  }

  static #each(
    list: readonly ProgramLoadOptions[],
    prepared: readonly LogLoad[],
    results: readonly EachResult[],
  ): (Program | { readonly error: unknown })[] {
    return results.map((r, i) =>
      'fd' in r ? Program.#loaded(list[i]!, prepared[i]!.attr.expectedAttachType, r) : r,
    );
  }

  /**
   * {@link Program.loadEach} that returns every program or throws: when a load fails, the programs
   * loaded are closed and the failure of the first failing program (in the order given) is thrown.
   * @throws VerifierError, BpfSyscallError … as {@link Program.load}
   */
  static loadAll(list: readonly ProgramLoadOptions[], options: LoadEachOptions = {}): Program[] {
    const results = Program.loadEach(list, options);
    const failed = results.find((r) => !(r instanceof Program));
    if (failed === undefined) return results as Program[];
    for (const r of results) if (r instanceof Program) r.close();
    throw (failed as { error: unknown }).error;
  }

  static #loaded(
    options: ProgramLoadOptions,
    expectedAttachType: number | undefined,
    r: LoadResult,
  ): Program {
    return new Program(r.fd, {
      type: options.type,
      name: options.name ?? '',
      expectedAttachType: effectiveExpectedAttachType(options.type, expectedAttachType),
      log: r.log,
    });
  }

  /**
   * Takes ownership of a program fd (its type and name are read from the kernel).
   * @throws NotAProgramError when the fd is a map, link or other file (it stays the caller's)
   */
  static fromFd(fd: number): Program {
    const kind = fdKind(fd);
    if (kind !== 'program') throw new NotAProgramError(`fd ${fd}`, kind);
    const info = progInfo(fd);
    return new Program(fd, { type: info.type, name: info.name });
  }

  /**
   * Opens the program pinned at `path` on bpffs.
   * @throws NotAProgramError when a map or link is pinned there
   */
  static fromPin(path: string, fileFlags = 0): Program {
    const owned = new OwnedFd(objGet(path, fileFlags), `pinned object '${path}'`);
    const kind = fdKind(owned.fd);
    if (kind !== 'program') {
      owned.close();
      throw new NotAProgramError(`the object pinned at '${path}'`, kind);
    }
    return Program.#adopt(owned.release());
  }

  /** Opens the program with this kernel id. */
  static fromId(id: number): Program {
    return Program.#adopt(progGetFdById(id));
  }

  static #adopt(fd: number): Program {
    const owned = new OwnedFd(fd, 'program');
    const info = progInfo(fd);
    return new Program(owned.release(), { type: info.type, name: info.name });
  }

  /**
   * Turns on run-count and run-time statistics for every program while the returned
   * handle is open (BPF_ENABLE_STATS). Close it (or `using`) to turn them off.
   */
  static enableStats(): OwnedFd {
    return new OwnedFd(enableStats(BpfStatsType.RUN_TIME), 'stats fd');
  }

  /** The file descriptor. @throws ObjectClosedError after close */
  get fd(): number {
    return this.#fd.fd;
  }

  /** True once closed. */
  get closed(): boolean {
    return this.#fd.closed;
  }

  /** The kernel's view: id, tag, name, type, jited/xlated sizes, map ids, run statistics. */
  info(): ProgramInfo {
    const i = progInfo(this.fd);
    return { ...i, runCount: i.runCnt };
  }

  /**
   * The program's instructions as the kernel runs them (`xlated_prog_insns`), decoded as
   * `@ts-ebpf/dsl` instructions: what was loaded, rewritten by the verifier. Comparing with the
   * loaded code, expect map references (`ld_imm64` with `BPF_PSEUDO_MAP_FD` / `_VALUE`) to carry
   * the map's id in `imm` (its fd or index was replaced by a map pointer, and the pointer by the
   * id on the way out; a map value's offset is in the second slot), context accesses and some
   * helper calls to be rewritten or inlined, helper and kfunc calls to hold the function's offset
   * from `__bpf_call_base` in `imm`, bpf-to-bpf calls the subprogram's index, and dead code to
   * be gone. With `net.core.bpf_jit_harden` on for this program (1: for unprivileged loaders, 2:
   * for all) constants are blinded: immediates split into two instructions through the hidden
   * register `r11` (BPF_REG_AX). Such kernel-only forms are decoded as they are (`allowInvalid`),
   * so they do not assemble back.
   * @throws ProgramCodeUnavailableError when the kernel gives none: the caller lacks CAP_BPF, or
   *   `kernel.kptr_restrict` hides raw code from it (1: without CAP_SYSLOG; 2: from everyone)
   */
  instructions(): Instruction[] {
    return disassemble(xlatedCode(this.fd, this.#codeSubject()), {
      byteOrder: HOST_BYTE_ORDER,
      allowInvalid: true,
    });
  }

  /**
   * The program's BTF read back from the kernel (the one it was loaded with: the types its
   * func_info names), or undefined for a program loaded without BTF. Read once, then kept.
   * @throws BpfSyscallError when the kernel refuses to copy it out
   */
  btf(): Btf | undefined {
    if (this.#btf === null) this.#btf = loadedProgramBtf(this.fd);
    return this.#btf;
  }

  /**
   * The program's source lines (`line_info`), decoded with its BTF: each record's first
   * instruction (in {@link Program.instructions}' slots: the kernel moves the records with the
   * verifier's rewrites), file, line, column and the line's text, in instruction order. Empty for
   * a program loaded without BTF or line info (the dsl's, unless given).
   * @throws ProgramCodeUnavailableError when the caller lacks CAP_BPF (the kernel counts no records for it)
   */
  lineInfo(): LineInfo[] {
    const btf = this.btf();
    return btf === undefined ? [] : programLineInfo(this.fd, btf, this.#codeSubject());
  }

  /**
   * The program's functions (`func_info`), decoded with its BTF: where each starts (in
   * {@link Program.instructions}' slots), its name and `FUNC` type id in {@link Program.btf}.
   * The main program comes first, then its subprograms. Empty for a program loaded without BTF.
   * @throws ProgramCodeUnavailableError when the caller lacks CAP_BPF (the kernel counts no records for it)
   */
  funcInfo(): FuncInfo[] {
    const btf = this.btf();
    return btf === undefined ? [] : programFuncInfo(this.fd, btf, this.#codeSubject());
  }

  /**
   * The program's JIT-compiled machine code (this machine's architecture) and each function's
   * kernel address, length and place in it: the main program first, then the subprograms in the
   * order bpf-to-bpf calls index them (the kernel lists each as `bpf_prog_<tag>_<name>` in
   * `/proc/kallsyms` while `net.core.bpf_jit_kallsyms` is on).
   * @throws ProgramCodeUnavailableError when the program is not JIT-compiled (the interpreter
   *   runs it), the caller lacks CAP_BPF, or `kernel.kptr_restrict` hides kernel addresses and
   *   raw code from it (1: without CAP_SYSLOG; 2: from everyone, root too)
   */
  jitedCode(): JitedCode {
    return jitedCode(this.fd, this.#codeSubject());
  }

  /**
   * Each JIT-compiled function's kernel address and length, as {@link Program.jitedCode} gives
   * them, without copying the code.
   * @throws ProgramCodeUnavailableError as {@link Program.jitedCode}
   */
  jitedFunctions(): JitedFunction[] {
    return jitedFunctions(this.fd, this.#codeSubject());
  }

  /** The program in the errors of its code's readers: `program 'name' (id 12)`. */
  #codeSubject(): string {
    return `${describeProgram(this)} (id ${progInfo(this.fd).id})`;
  }

  /** Pins the program at `path` on bpffs (parent directories are created). */
  pin(path: string): void {
    pinObject(this.fd, path);
  }

  /**
   * Removes a pin (the program lives on while referenced; a pin missing is passed over).
   * @throws UnpinError (from `@ts-ebpf/syscall`) when the removal fails otherwise, naming the path
   */
  unpin(path: string): void {
    unpin(path);
  }

  /**
   * Runs the program once (or `repeat` times) on the given input with BPF_PROG_TEST_RUN
   * (xdp, sched_cls, socket_filter, flow_dissector, syscall, raw_tracepoint …).
   */
  testRun(o: TestRunOptions = {}): TestRunResult {
    return runTest(this, o);
  }

  /** Closes the program fd; later calls do nothing. Attached links keep the program alive. */
  close(): void {
    this.#fd.close();
  }

  /**
   * Gives the descriptor up to `closeTogether` (`@ts-ebpf/syscall`), which closes it with others:
   * the program counts as closed from here. @returns the number, undefined if closed already
   */
  [closeLater](): number | undefined {
    return this.#fd.closed ? undefined : this.#fd.release();
  }

  /** Same as {@link Program.close}. */
  [Symbol.dispose](): void {
    this.close();
  }
}
