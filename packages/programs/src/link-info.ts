import { addressOf, objGetInfoByFd } from '@ts-ebpf/syscall';
import { BpfPerfEventType, HOST_LITTLE_ENDIAN } from '@ts-ebpf/uapi';
import { NfInetHook, NfProto } from './attach/netfilter.js';
import { attachTypeLabel, linkTypeLabel } from './names.js';
import { ifname } from './netlink/ifindex.js';

/** What every bpf_link reports. */
interface LinkInfoBase {
  /** The link's kernel id. */
  readonly id: number;
  /** The attached program's id. */
  readonly progId: number;
  /** `BpfLinkType.*` as a number. */
  readonly typeId: number;
}

/** Perf-event links: what the event is. */
export type PerfEventLinkTarget =
  | { readonly event: 'tracepoint'; readonly tracepoint: string; readonly cookie: bigint }
  | {
      readonly event: 'uprobe' | 'uretprobe';
      readonly path: string;
      readonly offset: number;
      readonly cookie: bigint;
    }
  | {
      readonly event: 'kprobe' | 'kretprobe';
      readonly function: string;
      readonly offset: number;
      readonly address: bigint;
      readonly missed: bigint;
      readonly cookie: bigint;
    }
  | { readonly event: 'event'; readonly perfType: number; readonly config: bigint; readonly cookie: bigint }
  | { readonly event: 'unspec' };

/**
 * A bpf_link's info (`struct bpf_link_info`), decoded per link type: names instead of numbers
 * (link and attach types, interfaces, netfilter hooks), strings the kernel holds (tracepoint,
 * iterator target, probed file) fetched.
 */
export type LinkInfo = LinkInfoBase &
  (
    | { readonly type: 'raw_tracepoint'; readonly tracepoint: string }
    | {
        readonly type: 'tracing';
        readonly attachType: string;
        /** The target program's id (freplace, fentry on a program), 0 for the kernel. */
        readonly targetObjId: number;
        readonly targetBtfId: number;
      }
    | { readonly type: 'cgroup'; readonly cgroupId: bigint; readonly attachType: string }
    | {
        readonly type: 'iter';
        /** The iterator target (`'task'`, `'bpf_map_elem'` …). */
        readonly target: string;
        /** For map iterators: the map's id (0 otherwise). */
        readonly mapId: number;
      }
    | { readonly type: 'netns'; readonly netnsIno: number; readonly attachType: string }
    | { readonly type: 'xdp'; readonly ifindex: number; readonly interface: string | undefined }
    | ({ readonly type: 'perf_event' } & PerfEventLinkTarget)
    | {
        readonly type: 'kprobe_multi';
        readonly count: number;
        readonly flags: number;
        readonly missed: bigint;
      }
    | { readonly type: 'struct_ops'; readonly mapId: number }
    | {
        readonly type: 'netfilter';
        /** `'IPV4'`, `'IPV6'` … (`NFPROTO_*`). */
        readonly protocol: string;
        /** `'PRE_ROUTING'`, `'LOCAL_IN'` … (`NF_INET_*`). */
        readonly hook: string;
        readonly priority: number;
        readonly flags: number;
      }
    | {
        readonly type: 'tcx' | 'netkit';
        readonly ifindex: number;
        readonly interface: string | undefined;
        readonly attachType: string;
      }
    | {
        readonly type: 'uprobe_multi';
        readonly path: string;
        readonly count: number;
        readonly flags: number;
        readonly pid: number;
      }
    | { readonly type: 'sockmap'; readonly mapId: number; readonly attachType: string }
    | {
        /** A link type this library does not decode: its name (or `'link type <n>'`) and the raw bytes. */
        readonly type: 'other';
        readonly name: string;
        /** The type-specific part of `bpf_link_info` (from byte 16), undecoded. */
        readonly extra: Uint8Array;
      }
  );

const INFO_SIZE = 128;
const U = 16; // the union's offset in struct bpf_link_info
const NAME_SIZE = 4096;

/** Reads `bpf_link_info`, with a buffer for the string at `name`'s pointer and length offsets. */
function read(fd: number, name?: { ptr: number; len: number }) {
  const storage = new ArrayBuffer(INFO_SIZE);
  const b = new Uint8Array(storage);
  const v = new DataView(storage);
  const text = name ? new Uint8Array(NAME_SIZE) : undefined;
  if (name && text) {
    v.setBigUint64(name.ptr, addressOf(text), HOST_LITTLE_ENDIAN);
    v.setUint32(name.len, NAME_SIZE, HOST_LITTLE_ENDIAN);
  }
  objGetInfoByFd(fd, b);
  const decodeText = () => {
    if (!text) return '';
    const end = text.indexOf(0);
    return new TextDecoder().decode(text.subarray(0, end < 0 ? text.byteLength : end));
  };
  return { b, v, text: decodeText };
}

const reverse = (t: Readonly<Record<string, number>>) => new Map(Object.entries(t).map(([k, n]) => [n, k]));
const NF_PROTOS = reverse(NfProto);
const NF_HOOKS = reverse(NfInetHook);

/** Reads and decodes a bpf_link's info (see {@link LinkInfo}). */
export function readLinkInfo(fd: number): LinkInfo {
  const first = read(fd);
  const le = HOST_LITTLE_ENDIAN;
  const typeId = first.v.getUint32(0, le);
  const base = { typeId, id: first.v.getUint32(4, le), progId: first.v.getUint32(8, le) };
  const type = linkTypeLabel(typeId).toLowerCase();
  const { v } = first;
  const u32 = (o: number) => v.getUint32(U + o, le);
  const u64 = (o: number) => v.getBigUint64(U + o, le);
  switch (type) {
    case 'raw_tracepoint':
      return { ...base, type, tracepoint: read(fd, { ptr: U, len: U + 8 }).text() };
    case 'tracing':
      return { ...base, type, attachType: attachTypeLabel(u32(0)), targetObjId: u32(4), targetBtfId: u32(8) };
    case 'cgroup':
      return { ...base, type, cgroupId: u64(0), attachType: attachTypeLabel(u32(8)) };
    case 'iter':
      return { ...base, type, target: read(fd, { ptr: U, len: U + 8 }).text(), mapId: u32(12) };
    case 'netns':
      return { ...base, type, netnsIno: u32(0), attachType: attachTypeLabel(u32(4)) };
    case 'xdp':
      return { ...base, type, ifindex: u32(0), interface: ifname(u32(0)) };
    case 'perf_event':
      return { ...base, type, ...perfEvent(fd, u32(0)) };
    case 'kprobe_multi':
      return { ...base, type, count: u32(8), flags: u32(12), missed: u64(16) };
    case 'struct_ops':
      return { ...base, type, mapId: u32(0) };
    case 'netfilter':
      return {
        ...base,
        type,
        protocol: NF_PROTOS.get(u32(0)) ?? `pf ${u32(0)}`,
        hook: NF_HOOKS.get(u32(4)) ?? `hook ${u32(4)}`,
        priority: v.getInt32(U + 8, le),
        flags: u32(12),
      };
    case 'tcx':
    case 'netkit':
      return {
        ...base,
        type,
        ifindex: u32(0),
        interface: ifname(u32(0)),
        attachType: attachTypeLabel(u32(4)),
      };
    case 'uprobe_multi': {
      const r = read(fd, { ptr: U, len: U + 32 });
      const w = (o: number) => r.v.getUint32(U + o, le);
      return { ...base, type, path: r.text(), count: w(36), flags: w(40), pid: w(44) };
    }
    case 'sockmap':
      return { ...base, type, mapId: u32(0), attachType: attachTypeLabel(u32(4)) };
    default:
      return { ...base, type: 'other', name: linkTypeLabel(typeId), extra: first.b.slice(U) };
  }
}

/** The perf_event part: `type` at 0, then a union at 8 whose first field names the event. */
function perfEvent(fd: number, kind: number): PerfEventLinkTarget {
  const le = HOST_LITTLE_ENDIAN;
  const P = BpfPerfEventType;
  if (kind === P.EVENT) {
    const { v } = read(fd);
    return {
      event: 'event',
      config: v.getBigUint64(U + 8, le),
      perfType: v.getUint32(U + 16, le),
      cookie: v.getBigUint64(U + 24, le),
    };
  }
  const named = [P.TRACEPOINT, P.UPROBE, P.URETPROBE, P.KPROBE, P.KRETPROBE] as number[];
  if (!named.includes(kind)) return { event: 'unspec' };
  // Each of these starts with a name pointer and its length, then (for probes) the offset.
  const r = read(fd, { ptr: U + 8, len: U + 16 });
  const offset = r.v.getUint32(U + 20, le);
  const u64 = (o: number) => r.v.getBigUint64(U + o, le);
  if (kind === P.TRACEPOINT) return { event: 'tracepoint', tracepoint: r.text(), cookie: u64(24) };
  if (kind === P.UPROBE || kind === P.URETPROBE)
    return { event: kind === P.UPROBE ? 'uprobe' : 'uretprobe', path: r.text(), offset, cookie: u64(24) };
  return {
    event: kind === P.KPROBE ? 'kprobe' : 'kretprobe',
    function: r.text(),
    offset,
    address: u64(24),
    missed: u64(32),
    cookie: u64(40),
  };
}
