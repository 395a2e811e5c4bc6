import {
  attachTypeName,
  BpfAttachType,
  BpfFunc,
  BpfInsnClass,
  BpfJmpOp,
  BpfMapCreateFlag,
  BpfMapType,
  BpfProgType,
  HOST_LITTLE_ENDIAN,
  mapTypeName,
  progTypeName,
} from '@ts-ebpf/uapi';
import { BpfArgumentError } from './errors.js';
import { close } from './fd.js';
import { type MiscFeatures, miscFeatures } from './features-misc.js';
import { type MapCreateAttr, mapCreate } from './map-commands.js';
import { pageSize } from './memory.js';
import { EXIT, EXIT_0, encodeInsns, mov64Imm } from './probe-insns.js';
import { no, type ProbeResult, tryLoad, YES } from './probe-load.js';
import { mapTypeNeeds, progTypeNeeds, throwIfUnprivileged } from './probe-permission.js';
import { btfLoad } from './prog-load.js';
import { kernelVersion } from './system.js';
import { checkU32 } from './validate.js';

export type { ProbeResult } from './probe-load.js';

// A tiny BTF blob with one type, [1] `int` (signed, 32 bits): what local-storage maps need. In the
// host's byte order, like the kernel's own BTF.
function intBtf(): Uint8Array {
  const strings = new TextEncoder().encode('\0int\0');
  const types = new Uint8Array(new Uint32Array([1, 1 << 24, 4, (1 << 24) | 32]).buffer);
  const storage = new ArrayBuffer(24 + types.byteLength + strings.byteLength);
  const out = new Uint8Array(storage);
  const v = new DataView(storage);
  v.setUint16(0, 0xeb9f, HOST_LITTLE_ENDIAN);
  v.setUint8(2, 1);
  v.setUint32(4, 24, HOST_LITTLE_ENDIAN);
  v.setUint32(8, 0, HOST_LITTLE_ENDIAN);
  v.setUint32(12, types.byteLength, HOST_LITTLE_ENDIAN);
  v.setUint32(16, types.byteLength, HOST_LITTLE_ENDIAN);
  v.setUint32(20, strings.byteLength, HOST_LITTLE_ENDIAN);
  out.set(types, 24);
  out.set(strings, 24 + types.byteLength);
  return out;
}

function mapProbeAttr(type: number): { attr: MapCreateAttr; needsBtf?: boolean; needsInner?: boolean } {
  const t = BpfMapType;
  const base = { mapType: type, keySize: 4, valueSize: 4, maxEntries: 1 };
  switch (type) {
    case t.LPM_TRIE:
      return { attr: { ...base, keySize: 8, mapFlags: BpfMapCreateFlag.NO_PREALLOC } };
    case t.QUEUE:
    case t.STACK:
    case t.BLOOM_FILTER:
      return { attr: { ...base, keySize: 0 } };
    case t.RINGBUF:
    case t.USER_RINGBUF:
      return { attr: { ...base, keySize: 0, valueSize: 0, maxEntries: pageSize() } };
    case t.STACK_TRACE:
      return { attr: { ...base, valueSize: 8 } };
    case t.CGROUP_STORAGE:
    case t.PERCPU_CGROUP_STORAGE:
      return { attr: { ...base, keySize: 8, maxEntries: 0 } };
    case t.ARENA:
      return { attr: { ...base, keySize: 0, valueSize: 0, mapFlags: BpfMapCreateFlag.MMAPABLE } };
    case t.SK_STORAGE:
    case t.INODE_STORAGE:
    case t.TASK_STORAGE:
    case t.CGRP_STORAGE:
      return { attr: { ...base, maxEntries: 0, mapFlags: BpfMapCreateFlag.NO_PREALLOC }, needsBtf: true };
    case t.ARRAY_OF_MAPS:
    case t.HASH_OF_MAPS:
      return { attr: base, needsInner: true };
    default:
      return { attr: base };
  }
}

/** `name(value)`, or the number when `name` knows no such value (a probe of an unknown type). */
function label(name: (value: number) => string, value: number): string {
  try {
    return name(value);
  } catch {
    return String(value);
  }
}

/**
 * Creates (and closes) the small map of `type` that the probes create, with `flags` added to its
 * flags: supported when the kernel creates it, else the errno's name.
 * @throws ProbePermissionError when refused for lack of a capability (the error is then not an answer)
 */
function createProbeMap(probe: string, type: number, flags: number): ProbeResult {
  const { attr, needsBtf, needsInner } = mapProbeAttr(type);
  attr.mapFlags = (attr.mapFlags ?? 0) | flags;
  const fds: number[] = [];
  try {
    if (needsBtf) {
      const btfFd = btfLoad({ btf: intBtf(), logSize: 0 });
      fds.push(btfFd);
      Object.assign(attr, { btfFd, btfKeyTypeId: 1, btfValueTypeId: 1 });
    }
    if (needsInner) {
      const inner = mapCreate({ mapType: BpfMapType.ARRAY, keySize: 4, valueSize: 4, maxEntries: 1 });
      fds.push(inner);
      attr.innerMapFd = inner;
    }
    fds.push(mapCreate(attr));
    return YES;
  } catch (e) {
    throwIfUnprivileged(probe, mapTypeNeeds(type), e);
    return no(e);
  } finally {
    for (const fd of fds) close(fd);
  }
}

const mapCache = new Map<number, ProbeResult>();

/**
 * Can this kernel create maps of `type`? Creates (and closes) a small map.
 * struct_ops maps need a vmlinux value type and are reported from the
 * program-type probe instead. Cached for the process.
 * @throws ProbePermissionError when the kernel refuses the map with EPERM or EACCES and this
 *   process lacks CAP_BPF (or CAP_SYS_ADMIN), or CAP_NET_ADMIN for a socket or device map: lacking
 *   the privilege is not lacking the feature, and nothing is cached. With the capabilities held,
 *   an EPERM is the kernel refusing the map type to everyone and is answered `reason: 'EPERM'`.
 */
export function probeMapType(type: number): ProbeResult {
  const cached = mapCache.get(type);
  if (cached) return cached;
  const result =
    type === BpfMapType.STRUCT_OPS
      ? probeProgType(BpfProgType.STRUCT_OPS)
      : createProbeMap(`probeMapType(${label(mapTypeName, type)})`, type, 0);
  mapCache.set(type, result);
  return result;
}

// Map flags a probe cannot ask for: each needs an fd in another attribute, which the probe has not.
const FLAGS_WITH_FDS =
  BpfMapCreateFlag.VTYPE_BTF_OBJ_FD | BpfMapCreateFlag.TOKEN_FD | BpfMapCreateFlag.PATH_FD;

const flagCache = new Map<string, ProbeResult>();

/**
 * Can this kernel create a map of `mapType` with `flag` (a `BpfMapCreateFlag`, or several OR-ed
 * together) in its `map_flags`? Creates (and closes) the small map {@link probeMapType} creates,
 * with the flag added: supported when the kernel creates it, else the errno's name as the reason
 * (`EINVAL` for a flag the type refuses, e.g. `NO_PREALLOC` on an array). A map type this kernel
 * does not create at all is reported as such (`map type unsupported (EINVAL)`). Cached for the
 * process.
 * @throws BpfArgumentError for a flag that is 0 or not a u32, a flag that needs an fd in another
 *   attribute (`VTYPE_BTF_OBJ_FD`, `TOKEN_FD`, `PATH_FD`), or a struct_ops map (it needs a vmlinux
 *   value type: see {@link probeMapType})
 * @throws ProbePermissionError when refused for lack of a capability, as {@link probeMapType}
 */
export function probeMapFlag(mapType: number, flag: number): ProbeResult {
  checkU32(mapType, 'mapType');
  checkU32(flag, 'flag');
  if (flag === 0) throw new BpfArgumentError('flag', 'expected a map flag, got 0');
  if (flag & FLAGS_WITH_FDS)
    throw new BpfArgumentError(
      'flag',
      `0x${flag.toString(16)} has a flag that needs an fd in another attribute (VTYPE_BTF_OBJ_FD, TOKEN_FD or PATH_FD): it cannot be probed alone`,
    );
  if (mapType === BpfMapType.STRUCT_OPS)
    throw new BpfArgumentError(
      'mapType',
      'struct_ops maps need a vmlinux value type: their flags cannot be probed',
    );
  const key = `${mapType}:${flag}`;
  const cached = flagCache.get(key);
  if (cached) return cached;
  const type = probeMapType(mapType);
  const result = type.supported
    ? createProbeMap(`probeMapFlag(${label(mapTypeName, mapType)}, 0x${flag.toString(16)})`, mapType, flag)
    : { supported: false, reason: `map type unsupported (${type.reason})` };
  flagCache.set(key, result);
  return result;
}

/** `call <id>; r0 = 0; exit`. */
function callHelper(id: number): Uint8Array {
  return encodeInsns([{ code: BpfInsnClass.JMP | BpfJmpOp.CALL, imm: id }, mov64Imm(0, 0), EXIT]);
}

/** Expected attach types some program types must be loaded with. */
function defaultAttachType(progType: number): number | undefined {
  const p = BpfProgType;
  const a = BpfAttachType;
  if (progType === p.CGROUP_SOCK_ADDR) return a.CGROUP_INET4_CONNECT;
  if (progType === p.SK_LOOKUP) return a.SK_LOOKUP;
  if (progType === p.NETFILTER) return a.NETFILTER;
  if (progType === p.CGROUP_SOCKOPT) return a.CGROUP_GETSOCKOPT;
  return undefined;
}

const progCache = new Map<number, ProbeResult>();

/**
 * Does this kernel know program type `type`? Loads `r0 = 0; exit`. Types that
 * need an attach target (tracing, lsm, ext, struct_ops) count as supported
 * when the verifier ran and asked for that target: an unknown type is
 * refused before the verifier writes anything. Cached for the process.
 * @throws ProbePermissionError when the kernel refuses the load with EPERM or EACCES and this
 *   process lacks CAP_BPF (or CAP_SYS_ADMIN), or CAP_PERFMON for a tracing type, or CAP_NET_ADMIN
 *   for a networking type: lacking the privilege is not lacking the feature, and nothing is cached
 */
export function probeProgType(type: number): ProbeResult {
  const cached = progCache.get(type);
  if (cached) return cached;
  const r = tryLoad({ progType: type, insns: EXIT_0, expectedAttachType: defaultAttachType(type) });
  if (!r.ok) throwIfUnprivileged(`probeProgType(${label(progTypeName, type)})`, progTypeNeeds(type), r.error);
  const result = r.ok || r.log.trim().length > 0 ? YES : no(r.error);
  progCache.set(type, result);
  return result;
}

const helperCache = new Map<string, ProbeResult>();

/**
 * Can programs of `progType` call helper `helperId`? Loads a program that calls it. Cached for
 * the process.
 * @throws ProbePermissionError when refused for lack of a capability, as {@link probeProgType}
 */
export function probeHelper(progType: number, helperId: number): ProbeResult {
  const key = `${progType}:${helperId}`;
  const cached = helperCache.get(key);
  if (cached) return cached;
  let result: ProbeResult;
  const prog = probeProgType(progType);
  if (!prog.supported) result = { supported: false, reason: `program type unsupported (${prog.reason})` };
  else {
    const r = tryLoad({
      progType,
      insns: callHelper(helperId),
      expectedAttachType: defaultAttachType(progType),
    });
    if (!r.ok)
      throwIfUnprivileged(
        `probeHelper(${label(progTypeName, progType)}, ${helperId})`,
        progTypeNeeds(progType),
        r.error,
      );
    const refused = /invalid func|unknown func|cannot use helper|cannot call|not allowed|not supported/i.exec(
      r.log,
    );
    result =
      r.ok || (r.log && !refused) ? YES : { supported: false, reason: refused?.[0] ?? no(r.error).reason! };
  }
  helperCache.set(key, result);
  return result;
}

/** The program type an attach type belongs to (for probing it). */
export function progTypeForAttachType(attachType: number): number | undefined {
  const name = Object.entries(BpfAttachType).find(([, v]) => v === attachType)?.[0];
  if (name === undefined) return undefined;
  const p = BpfProgType;
  const rules: [RegExp, number | undefined][] = [
    [/^CGROUP_INET_(INGRESS|EGRESS)$/, p.CGROUP_SKB],
    [/^(CGROUP_INET_SOCK_CREATE|CGROUP_INET_SOCK_RELEASE|CGROUP_INET[46]_POST_BIND)$/, p.CGROUP_SOCK],
    [/^CGROUP_SOCK_OPS$/, p.SOCK_OPS],
    [/^SK_SKB/, p.SK_SKB],
    [/^SK_MSG/, p.SK_MSG],
    [/^CGROUP_DEVICE$/, p.CGROUP_DEVICE],
    [/^CGROUP_SYSCTL$/, p.CGROUP_SYSCTL],
    [/^CGROUP_(GET|SET)SOCKOPT$/, p.CGROUP_SOCKOPT],
    [/^CGROUP_/, p.CGROUP_SOCK_ADDR],
    [/^LIRC_MODE2$/, p.LIRC_MODE2],
    [/^FLOW_DISSECTOR$/, p.FLOW_DISSECTOR],
    [/^(TRACE_RAW_TP|TRACE_FENTRY|TRACE_FEXIT|MODIFY_RETURN|TRACE_ITER|TRACE_FSESSION)$/, p.TRACING],
    [/^LSM_/, p.LSM],
    [/^SK_LOOKUP$/, p.SK_LOOKUP],
    [/^XDP/, p.XDP],
    [/^SK_REUSEPORT/, p.SK_REUSEPORT],
    [/^PERF_EVENT$/, p.PERF_EVENT],
    [/^TRACE_(KPROBE|UPROBE)_/, p.KPROBE],
    [/^STRUCT_OPS$/, p.STRUCT_OPS],
    [/^NETFILTER$/, p.NETFILTER],
    [/^(TCX_|NETKIT_)/, p.SCHED_CLS],
  ];
  return rules.find(([re]) => re.test(name))?.[1];
}

const attachCache = new Map<number, ProbeResult>();

/**
 * Does this kernel accept programs with expected attach type `attachType`? Loads `r0 = 0; exit`
 * of the program type it belongs to. Cached for the process.
 * @throws ProbePermissionError when refused for lack of a capability, as {@link probeProgType}
 */
export function probeAttachType(attachType: number): ProbeResult {
  const cached = attachCache.get(attachType);
  if (cached) return cached;
  const progType = progTypeForAttachType(attachType);
  let result: ProbeResult;
  if (progType === undefined) result = { supported: false, reason: 'unknown attach type' };
  else {
    const r = tryLoad({ progType, insns: EXIT_0, expectedAttachType: attachType });
    if (!r.ok)
      throwIfUnprivileged(
        `probeAttachType(${label(attachTypeName, attachType)})`,
        progTypeNeeds(progType),
        r.error,
      );
    result = r.ok || r.log.trim().length > 0 ? YES : no(r.error);
  }
  attachCache.set(attachType, result);
  return result;
}

/** A full report of what this kernel supports. */
export interface FeatureReport {
  kernel: string;
  arch: string;
  mapTypes: Record<string, ProbeResult>;
  progTypes: Record<string, ProbeResult>;
  attachTypes: Record<string, ProbeResult>;
  /** The verifier's features (bpftool's "misc" probes): large programs, bounded loops, instruction set versions. */
  misc: MiscFeatures;
  /** Helper support per program type (only with `{ helpers: true }`): names of callable helpers. */
  helpers?: Record<string, string[]>;
}

function probeAll(table: Readonly<Record<string, number>>, probe: (v: number) => ProbeResult) {
  const out: Record<string, ProbeResult> = {};
  for (const [name, value] of Object.entries(table)) {
    if (name === 'UNSPEC' || name.startsWith('CGROUP_STORAGE_DEPRECATED')) continue;
    out[name] = probe(value);
  }
  return out;
}

/**
 * Probes every map type, program type and attach type, the misc features (see
 * {@link MiscFeatures}), and optionally every helper per program type.
 * @throws ProbePermissionError from the first probe that could not run for lack of a capability
 *   (run it with CAP_BPF, CAP_PERFMON and CAP_NET_ADMIN, or as root, for a full report)
 */
export function features(options: { helpers?: boolean } = {}): FeatureReport {
  const report: FeatureReport = {
    kernel: kernelVersion().release,
    arch: process.arch,
    mapTypes: probeAll(BpfMapType, probeMapType),
    progTypes: probeAll(BpfProgType, probeProgType),
    attachTypes: probeAll(BpfAttachType, probeAttachType),
    misc: miscFeatures(),
  };
  if (options.helpers) {
    report.helpers = {};
    for (const [progName, progType] of Object.entries(BpfProgType)) {
      if (!report.progTypes[progName]?.supported) continue;
      report.helpers[progName] = Object.entries(BpfFunc)
        .filter(([name, id]) => name !== 'unspec' && probeHelper(progType, id).supported)
        .map(([name]) => name);
    }
  }
  return report;
}
