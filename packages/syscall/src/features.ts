import {
  BpfAluOp,
  BpfAttachType,
  BpfFunc,
  BpfInsnClass,
  BpfInsnSource,
  BpfJmpOp,
  BpfMapCreateFlag,
  BpfMapType,
  BpfProgType,
  HOST_LITTLE_ENDIAN,
} from '@ts-ebpf/uapi';
import { BpfSyscallError } from './errors.js';
import { close } from './fd.js';
import { type MapCreateAttr, mapCreate } from './map-commands.js';
import { pageSize } from './memory.js';
import { btfLoad, progLoad } from './prog-load.js';
import { kernelVersion } from './system.js';

/** The answer of one probe. */
export interface ProbeResult {
  supported: boolean;
  /** Why not: the errno name or a short reason. */
  reason?: string;
}

const YES: ProbeResult = Object.freeze({ supported: true });

function no(e: unknown): ProbeResult {
  return { supported: false, reason: e instanceof BpfSyscallError ? e.code : String(e) };
}

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

const mapCache = new Map<number, ProbeResult>();

/**
 * Can this kernel create maps of `type`? Creates (and closes) a small map.
 * struct_ops maps need a vmlinux value type and are reported from the
 * program-type probe instead.
 */
export function probeMapType(type: number): ProbeResult {
  const cached = mapCache.get(type);
  if (cached) return cached;
  let result: ProbeResult;
  if (type === BpfMapType.STRUCT_OPS) {
    result = probeProgType(BpfProgType.STRUCT_OPS);
  } else {
    const { attr, needsBtf, needsInner } = mapProbeAttr(type);
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
      result = YES;
    } catch (e) {
      result = no(e);
    } finally {
      for (const fd of fds) close(fd);
    }
  }
  mapCache.set(type, result);
  return result;
}

/** `r0 = 0; exit`, in this host's byte order (the immediates are zero, so order does not show). */
const EXIT_0 = new Uint8Array([
  BpfInsnClass.ALU64 | BpfAluOp.MOV | BpfInsnSource.K,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  BpfInsnClass.JMP | BpfJmpOp.EXIT,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
]);

/** `call <id>; r0 = 0; exit`, the immediate in this host's byte order. */
function callHelper(id: number): Uint8Array {
  const insnsStorage = new ArrayBuffer(24);
  const insns = new Uint8Array(insnsStorage);
  insns[0] = BpfInsnClass.JMP | BpfJmpOp.CALL;
  new DataView(insnsStorage).setInt32(4, id, HOST_LITTLE_ENDIAN);
  insns.set(EXIT_0, 8);
  return insns;
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

interface LoadProbe {
  progType: number;
  insns: Uint8Array;
  expectedAttachType?: number | undefined;
}

/** Loads a probe program; reports the outcome and the verifier log. */
function tryLoad(p: LoadProbe): { ok: boolean; log: string; error?: unknown } {
  try {
    const fd = progLoad({ ...p, logLevel: 1, logSize: 4096, license: 'GPL' });
    close(fd);
    return { ok: true, log: '' };
  } catch (e) {
    return { ok: false, log: e instanceof BpfSyscallError ? (e.log ?? '') : '', error: e };
  }
}

const progCache = new Map<number, ProbeResult>();

/**
 * Does this kernel know program type `type`? Loads `r0 = 0; exit`. Types that
 * need an attach target (tracing, lsm, ext, struct_ops) count as supported
 * when the verifier ran and asked for that target: an unknown type is
 * refused before the verifier writes anything.
 */
export function probeProgType(type: number): ProbeResult {
  const cached = progCache.get(type);
  if (cached) return cached;
  const r = tryLoad({ progType: type, insns: EXIT_0, expectedAttachType: defaultAttachType(type) });
  const result = r.ok || r.log.trim().length > 0 ? YES : no(r.error);
  progCache.set(type, result);
  return result;
}

const helperCache = new Map<string, ProbeResult>();

/** Can programs of `progType` call helper `helperId`? */
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

/** Does this kernel accept programs with expected attach type `attachType`? */
export function probeAttachType(attachType: number): ProbeResult {
  const cached = attachCache.get(attachType);
  if (cached) return cached;
  const progType = progTypeForAttachType(attachType);
  let result: ProbeResult;
  if (progType === undefined) result = { supported: false, reason: 'unknown attach type' };
  else {
    const r = tryLoad({ progType, insns: EXIT_0, expectedAttachType: attachType });
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

/** Probes every map type, program type and attach type (and, optionally, every helper per program type). */
export function features(options: { helpers?: boolean } = {}): FeatureReport {
  const report: FeatureReport = {
    kernel: kernelVersion().release,
    arch: process.arch,
    mapTypes: probeAll(BpfMapType, probeMapType),
    progTypes: probeAll(BpfProgType, probeProgType),
    attachTypes: probeAll(BpfAttachType, probeAttachType),
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
