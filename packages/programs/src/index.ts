/**
 * @packageDocumentation
 * `@ts-ebpf/programs`: load BPF programs (bytes or `@ts-ebpf/dsl` instructions) with a
 * readable verifier error, test-run them, and attach them through links.
 */

// The helper threads Program.loadEach verifies programs on (declared in @ts-ebpf/syscall).
export { HelperThreadError, startHelperThreads, stopHelperThreads } from '@ts-ebpf/syscall';
// The program and attach type tables Program.load and the attach functions take, so a user of
// this package needs no other import for them (declared once, in @ts-ebpf/uapi).
export { BpfAttachType, BpfProgType } from '@ts-ebpf/uapi';
export {
  attachCgroup,
  CGROUP_ATTACH_MODES,
  type CgroupAttachMode,
  type CgroupAttachOptions,
  type CgroupQueryOptions,
  queryCgroup,
} from './attach/cgroup.js';
export { attachIter, type IterAttachOptions, IterLink, IterReader } from './attach/iter.js';
export {
  ATTACH_KINDS,
  type AttachCandidate,
  type AttachKind,
  type AttachKindRule,
  attachKindAccepts,
  requireAttachKind,
} from './attach/kinds.js';
export {
  attachKprobe,
  attachKprobeMulti,
  type KprobeMultiOptions,
  type KprobeOptions,
  kprobeUnsupportedReason,
} from './attach/kprobe.js';
export { perfLinksSupported, tracingLinksSupported } from './attach/link-support.js';
export {
  attachNetfilter,
  type NetfilterOptions,
  NfInetHook,
  NfProto,
  type NfProtoFamily,
  NfVerdict,
} from './attach/netfilter.js';
export { attachNetkit, type NetkitSide } from './attach/netkit.js';
export { attachNetns, queryNetns } from './attach/netns.js';
export { attachToPerfEvent, type PerfAttachOptions } from './attach/perf-link.js';
export {
  attachSocketFilter,
  attachSockmap,
  type MapTarget,
  type SockmapAttachOptions,
} from './attach/sockmap.js';
export type { FdTarget } from './attach/target-fd.js';
export {
  addClsact,
  attachTcClassic,
  attachTcx,
  deleteClsact,
  queryTcx,
  TC_DIRECTIONS,
  type TcClassicOptions,
  type TcDirection,
  type TcxOptions,
} from './attach/tc.js';
export {
  attachPerfEvent,
  attachRawTracepoint,
  attachTracepoint,
  type PerfEventOptions,
  type TracepointOptions,
  tracepointId,
} from './attach/tracepoint.js';
export { attachTpBtf, attachTracing, type TracingAttachOptions } from './attach/tracing.js';
export {
  attachUprobe,
  attachUprobeMulti,
  type UprobeMultiOptions,
  type UprobeOptions,
  type UprobeTarget,
  uprobeOffset,
} from './attach/uprobe.js';
export { resolveUprobePath } from './attach/uprobe-path.js';
export {
  attachXdp,
  queryXdp,
  XDP_MODES,
  XDP_VIAS,
  type XdpAttachOptions,
  XdpFlags,
  type XdpMode,
  type XdpQueryResult,
} from './attach/xdp.js';
export {
  type BtfTarget,
  BtfTargetNotFoundError,
  btfTargetFor,
  kernelBtf,
  resolveAttachBtfId,
} from './btf-resolve.js';
export { ElfError, type ElfSymbol, ElfSymbols, SymbolNotFoundError } from './elf-symbols.js';
export {
  AttachError,
  InterfaceNotFoundError,
  IterReadError,
  NetnsError,
  NotAProgramError,
  ProbeUnsupportedError,
  ProgramCodeUnavailableError,
  TracepointNotFoundError,
} from './errors.js';
export type {
  InstructionLocation,
  ProgramCode,
} from './instructions.js';
export { Link, LinkOperationError, type LinkParts } from './link.js';
export type { LinkInfo, PerfEventLinkTarget } from './link-info.js';
export type { LoadEachAsyncOptions, LoadEachOptions } from './load-each-options.js';
export { LoadInterruptedError } from './load-interrupted-error.js';
export type { ProgramLoadOptions } from './load-options.js';
export { linkIds, loadedLinks, loadedPrograms, programIds } from './loaded-objects.js';
export type { LogOptions } from './log.js';
export { attachTypeLabel, linkTypeLabel, progTypeLabel } from './names.js';
export { type Interface, ifindex, ifname } from './netlink/ifindex.js';
export { type InterfaceQueues, interfaceQueues } from './netlink/queues.js';
export { NETLINK_GENERIC, NETLINK_ROUTE, NetlinkError, RtNetlink, withRtNetlink } from './netlink/socket.js';
export { interfaceXdpFeatures, type XdpFeatures } from './netlink/xdp-features.js';
export { interfaceXskFeatures } from './netlink/xsk-features.js';
export { inNetns, type NetnsTarget, netnsPath } from './netns.js';
export {
  type BpfCookieProbeOptions,
  bpfCookieSupported,
  syscallWrapperPresent,
  type TracingKind,
  tracingUnsupportedReason,
} from './probes.js';
export { Program, type ProgramInfo } from './program.js';
export type { JitedCode, JitedFunction } from './program-code.js';
export type { ExtInfoLocation, FuncInfo, LineInfo, SourceLocation } from './source-location.js';
export {
  attachStructOps,
  StructOps,
  type StructOpsField,
  StructOpsLink,
  type StructOpsOptions,
  structOpsValue,
} from './struct-ops.js';
export { type StructOpsMember, structOpsMember } from './struct-ops-member.js';
export type { TestRunOptions, TestRunResult } from './test-run.js';
export {
  describeLocation,
  type ParsedVerifierLog,
  parseVerifierLog,
  VerifierError,
  verifierHint,
} from './verifier-error.js';
