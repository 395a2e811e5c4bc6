// Node-only module (kernel access through @ts-ebpf/programs); the root entry is pure.
import type { Btf } from '@ts-ebpf/btf';
import { exit, mov, type PluginProgram, R0 } from '@ts-ebpf/dsl';
import {
  attachIter,
  type IterLink,
  type IterReader,
  Program,
  type ProgramLoadOptions,
} from '@ts-ebpf/programs';
import { HOST_BYTE_ORDER } from '@ts-ebpf/uapi';
import { IterTargetError } from './errors.js';
import { checkIterParameters, type IterParameters, iterLinkInfo } from './link-info.js';
import { iter } from './plugin.js';
import { textLines, typedRecords } from './read.js';
import type { RecordFieldType, RecordLayout, RecordOf } from './record.js';
import { epermReason, isEperm, targetRefusal } from './refusal.js';
import { btfIterTargets, ITER_TARGETS, type IterTarget } from './targets.js';

/** Whether this kernel offers an iterator target, and if not, why. */
export interface IterTargetProbe {
  /** The target. */
  readonly target: IterTarget;
  /** True when a program for it loads. */
  readonly available: boolean;
  /** Why it is not available. */
  readonly reason?: string;
}

/**
 * Probes every target of `ITER_TARGETS` on this kernel: a target its BTF lacks is not built
 * in; for the others, a program returning 0 is loaded (and closed). Needs CAP_BPF and
 * CAP_PERFMON (or CAP_SYS_ADMIN). The reason for an EPERM says which of them this process lacks,
 * or, with them held, that the kernel refused the program and whether its verifier said why.
 */
export function probeIterTargets(btf: Btf): IterTargetProbe[] {
  const inBtf = new Set(btfIterTargets(btf));
  return ITER_TARGETS.map((target): IterTargetProbe => {
    if (!inBtf.has(target))
      return {
        target,
        available: false,
        reason: `this kernel's BTF has no bpf_iter_${target}: not built in`,
      };
    try {
      const built = iter(btf, target).build([mov(R0, 0), exit()]);
      Program.load(built).close();
      return { target, available: true };
    } catch (e) {
      if (isEperm(e)) return { target, available: false, reason: epermReason(e, 'probed') };
      return { target, available: false, reason: (e as Error).message };
    }
  });
}

/** Options of {@link loadIterator}. */
export interface LoadIteratorOptions extends Partial<Omit<ProgramLoadOptions, keyof PluginProgram>> {
  /** Which objects the iterator walks (a map, a task, a cgroup and order). */
  readonly params?: IterParameters;
}

/**
 * A loaded and attached iterator: its program and link, closed together. Each read
 * ({@link BpfIterator.open}, `lines()`, `records()`, `for await`) walks the kernel's objects
 * anew. Supports `using`.
 */
export class BpfIterator implements Disposable, AsyncIterable<Uint8Array> {
  /** The program. */
  readonly program: Program;
  /** The iterator link. */
  readonly link: IterLink;
  #closed = false;

  /** Takes ownership of both. */
  constructor(program: Program, link: IterLink) {
    this.program = program;
    this.link = link;
  }

  /** A reader over one walk (BPF_ITER_CREATE), read in `chunkSize` pieces. */
  open(chunkSize?: number): IterReader {
    if (this.#closed) throw new IterTargetError(this.program.name || 'iterator', 'the iterator is closed');
    return this.link.open(chunkSize);
  }

  /** The whole output of one walk as text. */
  text(): string {
    using r = this.open();
    return r.text();
  }

  /** The lines of one walk (programs writing with seq_printf). */
  lines(chunkSize?: number): AsyncGenerator<string> {
    return textLines(this.open(chunkSize));
  }

  /** The records of one walk (programs writing `layout` with seq_write), in this host's byte order. */
  records<F extends Readonly<Record<string, RecordFieldType>>>(
    layout: RecordLayout<F>,
    chunkSize?: number,
  ): AsyncGenerator<RecordOf<F>> {
    return typedRecords(this.open(chunkSize), layout, HOST_BYTE_ORDER);
  }

  /** The chunks of one walk. */
  [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    return this.open()[Symbol.asyncIterator]();
  }

  /** Closes the link and the program; later calls do nothing. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.link.close();
    } finally {
      this.program.close();
    }
  }

  /** Same as {@link BpfIterator.close}. */
  [Symbol.dispose](): void {
    this.close();
  }
}

/**
 * Loads an iterator program built by `iter(btf, target).build(body)` and attaches it as an
 * iterator link with `params`, checked first against what the target takes
 * (`checkIterParameters`: a map-element iterator needs `{ map }`, a cgroup one a cgroup, a task
 * one may have a task or process, the others take none).
 * @throws IterArgumentError for parameters the target does not take, or lacks
 * @throws IterTargetError for an EPERM that is not the program's doing (the EPERM as `cause`):
 * this process lacks CAP_BPF or CAP_PERFMON (and CAP_SYS_ADMIN), which it names, or the kernel
 * also refuses a program of the same target that only returns 0 (loaded to find out); an EPERM
 * for this program alone is thrown as it is
 */
export function loadIterator(built: PluginProgram, options: LoadIteratorOptions = {}): BpfIterator {
  const { params, ...load } = options;
  const target = built.attachTo ?? built.section.replace(/^iter(\.s)?\//, '');
  checkIterParameters(target, params);
  const iterInfo = params ? iterLinkInfo(params, HOST_BYTE_ORDER) : undefined;
  let program: Program;
  try {
    program = Program.load({ ...load, ...built } as ProgramLoadOptions);
  } catch (e) {
    const refusal = isEperm(e) ? targetRefusal(e, built) : undefined;
    if (refusal !== undefined) throw new IterTargetError(target, refusal, { cause: e });
    throw e;
  }
  try {
    const link = attachIter(program, iterInfo ? { iterInfo } : {});
    return new BpfIterator(program, link);
  } catch (e) {
    program.close();
    throw e;
  }
}
