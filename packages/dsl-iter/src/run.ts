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
import { BpfSyscallError } from '@ts-ebpf/syscall';
import { HOST_BYTE_ORDER } from '@ts-ebpf/uapi';
import { IterTargetError } from './errors.js';
import { checkIterParameters, type IterParameters, iterLinkInfo } from './link-info.js';
import { iter } from './plugin.js';
import { textLines, typedRecords } from './read.js';
import type { RecordFieldType, RecordLayout, RecordOf } from './record.js';
import { btfIterTargets, ITER_TARGETS, type IterTarget, MAP_ELEMENT_TARGETS } from './targets.js';

const EPERM = 1;

/**
 * Why this kernel refuses programs of the map-element targets. Measured on kernel 6.18 here
 * (6.18.44-fc): BPF_PROG_LOAD of any program for `bpf_map_elem`, `bpf_sk_storage_map` or
 * `sockmap` — even `r0 = 0; exit` — fails with EPERM, while every other target loads as root.
 * What is known of the cause:
 * - The same program in C (clang-19, `SEC("iter/bpf_map_elem")`) loaded by libbpf with
 *   `bpftool prog load` gets the same EPERM, so it is not how this library loads it.
 * - The verifier ran: its log holds `func#0 @0` and the statistics, `processed 0 insns`. The
 *   EPERM comes from inside the verifier (bpf_check) before it checks the first instruction,
 *   and no message says why.
 * - It is not the attach_btf_id lookup: the kernel's BTF has the FUNCs `bpf_iter_bpf_map_elem`,
 *   `bpf_iter_bpf_sk_storage_map` and `bpf_iter_sockmap` (libbpf looks up the same FUNCs by name), and in
 *   the kernel's source the iterator attach checks (bpf_check_attach_target for
 *   BPF_TRACE_ITER, bpf_iter_prog_supported) fail with EINVAL (ENOMEM), never EPERM.
 * - Not a missing option: CONFIG_BPF_SYSCALL, CONFIG_NET, CONFIG_INET and
 *   CONFIG_BPF_STREAM_PARSER are set, and the targets are registered (BTF describes them).
 * - Not, as far as it shows, fentry's refusal: an fentry program's EPERM here comes with an
 *   empty verifier log, this one after the verifier started.
 * - The three refused targets are the ones whose context has map key/value buffers
 *   (PTR_TO_BUF) and that attach to a map; which check of this kernel build returns EPERM
 *   is not known (no kprobes or function-graph tracing here to find it).
 */
function mapElementRefusal(target: string): string {
  return `this kernel refuses every program for the map-element iterator '${target}' with EPERM from inside the verifier, before it checks one instruction (its log: 0 instructions processed; even 'r0 = 0; exit' is refused, as root), while the other iterator targets load. It is not the attach target lookup: this kernel's BTF has bpf_iter_${target}, and the kernel's iterator attach checks fail with EINVAL, not EPERM. A restriction of this kernel; no change to the program makes it load`;
}

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
 * CAP_PERFMON (or root).
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
      if (e instanceof BpfSyscallError && e.errno === EPERM && MAP_ELEMENT_TARGETS.includes(target))
        return { target, available: false, reason: mapElementRefusal(target) };
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
 * one may have a task or process, the others take none). A map-element target this kernel
 * refuses gets an {@link IterTargetError} saying so (the EPERM as `cause`).
 * @throws IterArgumentError for parameters the target does not take, or lacks
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
    if (
      e instanceof BpfSyscallError &&
      e.errno === EPERM &&
      (MAP_ELEMENT_TARGETS as readonly string[]).includes(target)
    )
      throw new IterTargetError(target, mapElementRefusal(target), { cause: e });
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
