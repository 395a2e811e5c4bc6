import { BtfBuilder } from '@ts-ebpf/btf';
import { loadBtf } from '@ts-ebpf/btf/kernel';
import { assemble, bpf } from '@ts-ebpf/dsl';
import {
  BpfAttachType,
  BpfProgType,
  BpfSyscallError,
  type BpfToken,
  kernelSymbolExists,
  syscallWrapperPrefix,
} from '@ts-ebpf/syscall';
import { HOST_BYTE_ORDER, HOST_LITTLE_ENDIAN } from '@ts-ebpf/uapi';
import { attachTracing } from './attach/tracing.js';
import { Program } from './program.js';
import { returnZero } from './return-zero.js';

const cache = new Map<string, string | undefined>();

/** The BTF-attached program kinds whose support can be probed. */
export type TracingKind = 'fentry' | 'fexit' | 'fmod_ret' | 'lsm' | 'tp_btf' | 'freplace';

const KINDS: Record<
  Exclude<TracingKind, 'freplace'>,
  { type: number; attachType: number; target: string }
> = {
  fentry: { type: BpfProgType.TRACING, attachType: BpfAttachType.TRACE_FENTRY, target: 'bpf_fentry_test1' },
  fexit: { type: BpfProgType.TRACING, attachType: BpfAttachType.TRACE_FEXIT, target: 'bpf_fentry_test1' },
  fmod_ret: {
    type: BpfProgType.TRACING,
    attachType: BpfAttachType.MODIFY_RETURN,
    target: 'bpf_modify_return_test',
  },
  lsm: { type: BpfProgType.LSM, attachType: BpfAttachType.LSM_MAC, target: 'file_open' },
  tp_btf: { type: BpfProgType.TRACING, attachType: BpfAttachType.TRACE_RAW_TP, target: 'sys_enter' },
};

/**
 * Why programs of this kind cannot be loaded and attached here (the error of a trial
 * load + attach of a trivial program), or undefined when they can. Cached.
 */
export function tracingUnsupportedReason(kind: TracingKind): string | undefined {
  if (cache.has(kind)) return cache.get(kind);
  let reason: string | undefined;
  try {
    if (kind === 'freplace') {
      probeFreplace();
      cache.set(kind, undefined);
      return undefined;
    }
    const k = KINDS[kind];
    using p = Program.load({
      type: k.type,
      expectedAttachType: k.attachType,
      attachTo: k.target,
      instructions: returnZero(),
    });
    using _link = attachTracing(p);
  } catch (e) {
    reason = e instanceof Error ? e.message.split('\n')[0] : String(e);
  }
  cache.set(kind, reason);
  return reason;
}

/** A target XDP program with BTF (one global function) and its replacement, as a trial. */
export function freplacePair(): { target: Program; replacement: Program; funcId: number } {
  const b = new BtfBuilder();
  const int = b.int('int', 4, { signed: true });
  const proto = b.funcProto(int, [{ name: 'ctx', type: b.ptr(b.struct('xdp_md', [])) }]);
  const funcId = b.func('ts_ebpf_target', proto, 'global');
  using btf = loadBtf(b);
  const funcInfoStorage = new ArrayBuffer(8);
  const funcInfo = new Uint8Array(funcInfoStorage);
  new DataView(funcInfoStorage).setUint32(4, funcId, HOST_LITTLE_ENDIAN);
  const target = Program.load({ type: BpfProgType.XDP, instructions: returnZero(), btfFd: btf.fd, funcInfo });
  try {
    const replacement = Program.load({
      type: BpfProgType.EXT,
      instructions: returnZero(),
      btfFd: btf.fd,
      funcInfo,
      attachProgFd: target.fd,
      attachBtfId: funcId,
    });
    return { target, replacement, funcId };
  } catch (e) {
    target.close();
    throw e;
  }
}

function probeFreplace(): void {
  const { target, replacement } = freplacePair();
  using _t = target;
  using r = replacement;
  using _link = attachTracing(r, { targetProgram: target });
}

let bpfCookie: boolean | undefined;
const bpfCookieUnderToken = new WeakMap<BpfToken, boolean>();

/** Options of {@link bpfCookieSupported}. */
export interface BpfCookieProbeOptions {
  /**
   * A BPF token to load the trial program under (as libbpf runs its feature probes under an
   * object's token): in a user namespace, the answer for programs loaded with that token. Its
   * bpffs must delegate `prog_load` and tracepoint programs. Answers are cached per token.
   */
  readonly token?: BpfToken;
}

/**
 * Whether programs may call `bpf_get_attach_cookie` (kernel 5.15+), decided as libbpf decides
 * its `LINUX_HAS_BPF_COOKIE`: by loading a trivial tracepoint program that calls the helper.
 * Only the verifier's refusal of the call (EINVAL) means no; any other failure of the trial
 * load (no permission, a token that does not delegate tracepoint programs …) is thrown. Cached
 * (per token with `options.token`).
 */
export function bpfCookieSupported(options: BpfCookieProbeOptions = {}): boolean {
  const { token } = options;
  const known = token ? bpfCookieUnderToken.get(token) : bpfCookie;
  if (known !== undefined) return known;
  let supported: boolean;
  try {
    const insns = assemble(bpf`call get_attach_cookie; r0 = 0; exit`, { byteOrder: HOST_BYTE_ORDER });
    using _p = Program.load({ type: BpfProgType.TRACEPOINT, instructions: insns, token });
    supported = true;
  } catch (e) {
    if (!(e instanceof BpfSyscallError) || e.code !== 'EINVAL') throw e;
    supported = false;
  }
  if (token) bpfCookieUnderToken.set(token, supported);
  else bpfCookie = supported;
  return supported;
}

let syscallWrapper: boolean | undefined;

/**
 * Whether this kernel enters system calls through per-architecture wrappers that take a
 * `struct pt_regs *` (`__x64_sys_bpf` …; kernel 4.17+ on x86-64), the fact behind libbpf's
 * `LINUX_HAS_SYSCALL_WRAPPER`. libbpf decides it by creating a kprobe on `__<arch>_sys_bpf`;
 * this reads the kernel's symbol table (`/proc/kallsyms`) for that symbol instead, which
 * gives the same answer where kprobes exist and the right one where they do not. False on an
 * architecture libbpf knows no wrapper prefix for. Cached.
 * @throws KallsymsError (from `@ts-ebpf/syscall`) when /proc/kallsyms cannot be read
 */
export function syscallWrapperPresent(): boolean {
  if (syscallWrapper !== undefined) return syscallWrapper;
  const prefix = syscallWrapperPrefix();
  if (prefix === undefined) {
    syscallWrapper = false;
    return false;
  }
  syscallWrapper = kernelSymbolExists(`${prefix}bpf`);
  return syscallWrapper;
}
