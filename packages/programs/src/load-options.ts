import { checkPluginProgram, type DslPlugin, disassemble, type MapResolver } from '@ts-ebpf/dsl';
import {
  BpfArgumentError,
  BpfProgLoadFlag,
  BpfProgType,
  type BpfToken,
  checkObjectName,
  type ProgLoadAttr,
} from '@ts-ebpf/syscall';
import { HOST_BYTE_ORDER, progTypeByName, progTypeName, UnknownNameError } from '@ts-ebpf/uapi';
import { resolveAttachBtfId } from './btf-resolve.js';
import { type EncodedCode, encodeCode, type ProgramCode } from './instructions.js';
import type { LogOptions } from './log.js';
import { structOpsMember } from './struct-ops-member.js';

/** Options of `Program.load`: libbpf-style, every field but `type` and `instructions` optional. */
export interface ProgramLoadOptions extends LogOptions {
  /** `BpfProgType.*`. */
  readonly type: number;
  /** Encoded bytes (8 per slot) or `@ts-ebpf/dsl` instructions (assembled here). */
  readonly instructions: ProgramCode;
  /** `BpfAttachType.*`: required by cgroup, tracing, lsm, sk_lookup, netfilter … programs. */
  readonly expectedAttachType?: number;
  /** Default `'GPL'`. */
  readonly license?: string;
  /** Object name: at most 15 characters of `[A-Za-z0-9_.]`. */
  readonly name?: string;
  /**
   * A vmlinux BTF name resolved to `attachBtfId`: a function (fentry/fexit/fmod_ret), a
   * tracepoint (tp_btf: `sched_switch`), an LSM hook (`file_open`), an iterator (`task`), or
   * for struct_ops `'<struct>.<member>'` (`'tcp_congestion_ops.ssthresh'`: also sets
   * `expectedAttachType` to the member's index).
   */
  readonly attachTo?: string;
  /** The BTF id of the attach target, when known (wins over `attachTo`). */
  readonly attachBtfId?: number;
  /** freplace / fentry on a BPF program: the target program's fd. */
  readonly attachProgFd?: number;
  /** Module BTF: the fd of the BTF object holding `attachBtfId`. */
  readonly attachBtfObjFd?: number;
  /** Raw `prog_flags` (`BPF_F_*`); or-ed with the boolean flags below. */
  readonly flags?: number;
  /** `BpfProgLoadFlag.SLEEPABLE`. */
  readonly sleepable?: boolean;
  /** `BpfProgLoadFlag.XDP_HAS_FRAGS`: an XDP program that handles multi-buffer packets. */
  readonly xdpFrags?: boolean;
  /** Program BTF fd, needed with funcInfo/lineInfo. */
  readonly btfFd?: number;
  /** `bpf_func_info` records (insn_off, type_id), for programs with BTF. */
  readonly funcInfo?: Uint8Array;
  /** Size of one func_info record (default 8). */
  readonly funcInfoRecSize?: number;
  /** `bpf_line_info` records. */
  readonly lineInfo?: Uint8Array;
  /** Size of one line_info record (default 16). */
  readonly lineInfoRecSize?: number;
  /** Map fds for `BPF_PSEUDO_MAP_IDX` loads. */
  readonly fdArray?: Int32Array | readonly number[];
  /** Resolves map names in dsl `ldMapFd('name')` instructions to fds or objects with an `fd`. */
  readonly maps?: MapResolver;
  /** Offload / dev-bound XDP: the device's ifindex. */
  readonly ifindex?: number;
  /**
   * The `@ts-ebpf/dsl` plugin that built the program (a plugin-built program carries it, with
   * `section`): the load checks the type, attach type and helper calls against it first.
   */
  readonly plugin?: DslPlugin;
  /** The plugin section the program was built for; required with `plugin`. */
  readonly section?: string;
  /**
   * A BPF token (`BpfToken` from `@ts-ebpf/syscall`, Linux 6.9+): loads the program under it, in
   * a user namespace whose bpffs delegates `prog_load`, the program type and its attach type
   * (`expectedAttachType`, 0 when not given). Without one the kernel checks the process's own
   * capabilities.
   */
  readonly token?: BpfToken;
}

/** The syscall attr and encoded code a load will send. */
export interface PreparedLoad {
  /** What BPF_PROG_LOAD is given. */
  readonly attr: ProgLoadAttr;
  /** The encoded code and its map back to dsl instructions. */
  readonly code: EncodedCode;
}

/**
 * Turns load options into the BPF_PROG_LOAD attr (assembling dsl instructions and
 * resolving `attachTo` through the kernel's BTF). Exported for tests of what is sent.
 */
export function prepareLoad(o: ProgramLoadOptions): PreparedLoad {
  checkProgramType(o.type);
  if (o.name !== undefined) checkObjectName(o.name, 'name');
  if (o.plugin !== undefined) checkPlugin(o, o.plugin);
  const code = encodeCode(
    o.instructions,
    o.maps,
    o.name ? `instructions of program '${o.name}'` : 'instructions',
  );
  let flags = o.flags ?? 0;
  if (o.sleepable) flags |= BpfProgLoadFlag.SLEEPABLE;
  if (o.xdpFrags) flags |= BpfProgLoadFlag.XDP_HAS_FRAGS;
  let expectedAttachType = o.expectedAttachType;
  let attachBtfId = o.attachBtfId;
  if (attachBtfId === undefined && o.attachTo !== undefined) {
    if (o.type === BpfProgType.STRUCT_OPS && o.attachTo.includes('.')) {
      // 'tcp_congestion_ops.ssthresh': the ops struct's id and the member's index.
      const [struct, member] = o.attachTo.split('.') as [string, string];
      const m = structOpsMember(struct, member);
      attachBtfId = m.attachBtfId;
      expectedAttachType ??= m.expectedAttachType;
    } else attachBtfId = resolveAttachBtfId(o.type, expectedAttachType, o.attachTo);
  }
  if (o.type === BpfProgType.STRUCT_OPS && (attachBtfId === undefined || expectedAttachType === undefined))
    // The kernel answers ENOTSUPP (524) here, as if struct_ops were missing.
    throw new BpfArgumentError(
      o.name ? `attachTo of struct_ops program '${o.name}'` : 'attachTo of a struct_ops program',
      "a struct_ops program is loaded against one member of a kernel ops struct: give attachTo: '<struct>.<member>' (e.g. 'tcp_congestion_ops.ssthresh'), or attachBtfId and expectedAttachType (the member's index)",
    );
  // Every field present (undefined when not set), in one order: the attrs of all loads share one
  // shape, so progLoad's reads of them stay monomorphic (a megamorphic read per optional field cost
  // microseconds a load).
  const attr: ProgLoadAttr = {
    progType: o.type,
    insns: code.bytes,
    license: o.license ?? 'GPL',
    logLevel: undefined,
    logBuf: undefined,
    logSize: undefined,
    kernVersion: undefined,
    progFlags: flags !== 0 ? flags : undefined,
    progName: o.name,
    progIfindex: o.ifindex,
    expectedAttachType,
    progBtfFd: o.btfFd,
    funcInfo: o.funcInfo,
    funcInfoRecSize: o.funcInfo !== undefined ? (o.funcInfoRecSize ?? 8) : undefined,
    lineInfo: o.lineInfo,
    lineInfoRecSize: o.lineInfo !== undefined ? (o.lineInfoRecSize ?? 16) : undefined,
    attachBtfId,
    attachProgFd: o.attachProgFd,
    attachBtfObjFd: o.attachBtfObjFd,
    fdArray:
      o.fdArray === undefined || o.fdArray instanceof Int32Array ? o.fdArray : Int32Array.from(o.fdArray),
    progTokenFd: o.token?.fd,
  };
  return { attr, code };
}

/** Checks a plugin-built program against its plugin section, before the kernel is asked. */
function checkPlugin(o: ProgramLoadOptions, plugin: DslPlugin): void {
  if (o.section === undefined)
    throw new BpfArgumentError('section', `is required with plugin '${plugin.name}'`);
  const instructions =
    o.instructions instanceof Uint8Array
      ? disassemble(o.instructions, { byteOrder: HOST_BYTE_ORDER })
      : o.instructions;
  checkPluginProgram({ ...o, plugin, section: o.section, instructions });
}

/**
 * Refuses a `type` that is not a program type number, naming the option (a name such as `'xdp'`
 * gets the constant to write instead).
 */
function checkProgramType(type: unknown): void {
  if (typeof type === 'string') {
    let hint = 'a BpfProgType number (BpfProgType.XDP …)';
    try {
      const value = progTypeByName(type);
      hint = `BpfProgType.${progTypeName(value)} (${value})`;
    } catch (e) {
      if (!(e instanceof UnknownNameError)) throw e;
      if (e.suggestion) hint = `BpfProgType.${e.suggestion}`;
    }
    throw new BpfArgumentError('type', `'${type}' is a name: Program.load takes ${hint}`);
  }
  // a number this build does not know is left to the kernel: it may be newer than our facts
  if (typeof type !== 'number' || !Number.isInteger(type) || type < 0)
    throw new BpfArgumentError('type', `expected a BpfProgType number, got ${String(type)}`);
}
