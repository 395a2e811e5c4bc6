import { BpfCmd } from '@ts-ebpf/uapi';
import { type Attr, cString, keepAlive, lazyAttr } from './attr.js';
import { bpfCall } from './bpf.js';
import { addressOf } from './ffi/pointers.js';
import { LINK_CREATE as L, LINK_UPDATE, PROG_ATTACH, PROG_QUERY, RAW_TRACEPOINT } from './layouts.js';
import { checkBuffer, checkCString, checkFd, checkInt, checkU32, checkU64 } from './validate.js';

/** Options of BPF_PROG_ATTACH and BPF_PROG_DETACH. */
export interface ProgAttachAttr {
  /** cgroup fd, netns fd, sockmap fd, or ifindex for tcx/netkit. */
  targetFd: number;
  /** The program (for detach: 0 detaches whatever is attached, where allowed). */
  attachBpfFd?: number;
  attachType: number;
  /** `BPF_F_ALLOW_OVERRIDE`, `BPF_F_ALLOW_MULTI`, `BPF_F_REPLACE`, `BPF_F_BEFORE`, … */
  attachFlags?: number;
  replaceBpfFd?: number;
  /** mprog: relative program/link fd or id. */
  relativeFdOrId?: number;
  expectedRevision?: bigint | number;
}

const attachAttr = lazyAttr(PROG_ATTACH.SIZE);

function fillAttach(o: ProgAttachAttr): Attr {
  return attachAttr()
    .reset()
    .u32(PROG_ATTACH.target_fd, checkU32(o.targetFd, 'targetFd'))
    .u32(PROG_ATTACH.attach_bpf_fd, o.attachBpfFd === undefined ? 0 : checkFd(o.attachBpfFd, 'attachBpfFd'))
    .u32(PROG_ATTACH.attach_type, checkU32(o.attachType, 'attachType'))
    .u32(PROG_ATTACH.attach_flags, checkU32(o.attachFlags ?? 0, 'attachFlags'))
    .u32(
      PROG_ATTACH.replace_bpf_fd,
      o.replaceBpfFd === undefined ? 0 : checkFd(o.replaceBpfFd, 'replaceBpfFd'),
    )
    .u32(PROG_ATTACH.relative_fd, checkU32(o.relativeFdOrId ?? 0, 'relativeFdOrId'))
    .u64(PROG_ATTACH.expected_revision, checkU64(o.expectedRevision ?? 0, 'expectedRevision'));
}

/** BPF_PROG_ATTACH: the pre-link attach (cgroup, sockmap, flow dissector, lirc, tcx…). */
export function progAttach(o: ProgAttachAttr): void {
  bpfCall(
    BpfCmd.PROG_ATTACH,
    fillAttach(o),
    o.relativeFdOrId || o.expectedRevision ? PROG_ATTACH.SIZE : PROG_ATTACH.relative_fd,
  );
}

/** BPF_PROG_DETACH. */
export function progDetach(o: ProgAttachAttr): void {
  bpfCall(
    BpfCmd.PROG_DETACH,
    fillAttach(o),
    o.relativeFdOrId || o.expectedRevision ? PROG_ATTACH.SIZE : PROG_ATTACH.relative_fd,
  );
}

/** Options of BPF_PROG_QUERY. */
export interface ProgQueryAttr {
  targetFd: number;
  attachType: number;
  /** `BPF_F_QUERY_EFFECTIVE`. */
  queryFlags?: number;
  /** Room for at most this many program ids (default 64; 1 to 65536). */
  maxPrograms?: number;
}

/** What BPF_PROG_QUERY returned. */
export interface ProgQueryResult {
  attachFlags: number;
  /** Ids of the attached programs, in order. */
  progIds: number[];
  /** Ids of the links, where the attach point has links (tcx). */
  linkIds: number[];
  /** The attach point's revision (mprog attach points), else 0n. */
  revision: bigint;
}

const queryAttr = lazyAttr(PROG_QUERY.SIZE);

/** The most program ids one BPF_PROG_QUERY makes room for. */
const MAX_QUERY_PROGRAMS = 0x10000;

/** BPF_PROG_QUERY: lists the programs attached at a hook. */
export function progQuery(o: ProgQueryAttr): ProgQueryResult {
  // Room for at least one id (an empty array has no address to give), at most a bound no attach point
  // comes near (cgroup and mprog hooks allow 64 programs), so that the arrays are allocated.
  const max = checkInt(o.maxPrograms ?? 64, 'maxPrograms', 1, MAX_QUERY_PROGRAMS);
  const ids = new Uint32Array(max);
  const links = new Uint32Array(max);
  const a = queryAttr().reset();
  a.u32(PROG_QUERY.target_fd, checkU32(o.targetFd, 'targetFd'))
    .u32(PROG_QUERY.attach_type, checkU32(o.attachType, 'attachType'))
    .u32(PROG_QUERY.query_flags, checkU32(o.queryFlags ?? 0, 'queryFlags'))
    .ptr(PROG_QUERY.prog_ids, ids)
    .u32(PROG_QUERY.prog_cnt, max)
    .ptr(PROG_QUERY.link_ids, links);
  bpfCall(BpfCmd.PROG_QUERY, a, PROG_QUERY.SIZE);
  keepAlive(ids, links);
  const count = Math.min(a.getU32(PROG_QUERY.prog_cnt), max);
  return {
    attachFlags: a.getU32(PROG_QUERY.attach_flags),
    progIds: Array.from(ids.subarray(0, count)),
    linkIds: Array.from(links.subarray(0, count)).filter((id) => id !== 0),
    revision: a.getU64(PROG_QUERY.revision),
  };
}

const rawTpAttr = lazyAttr(RAW_TRACEPOINT.cookie + 8);

/**
 * BPF_RAW_TRACEPOINT_OPEN: attaches a raw tracepoint (by name) or a BTF-typed
 * program (tp_btf, fentry, lsm …: name null). Returns the link fd.
 */
export function rawTracepointOpen(name: string | null, progFd: number, cookie?: bigint | number): number {
  const n = name === null ? null : cString(checkCString(name, 'name', 255));
  rawTpAttr().reset().ptr(RAW_TRACEPOINT.name, n).u32(RAW_TRACEPOINT.prog_fd, checkFd(progFd, 'progFd'));
  if (cookie !== undefined) rawTpAttr().u64(RAW_TRACEPOINT.cookie, checkU64(cookie, 'cookie'));
  const fd = bpfCall(
    BpfCmd.RAW_TRACEPOINT_OPEN,
    rawTpAttr(),
    cookie === undefined ? RAW_TRACEPOINT.SIZE : RAW_TRACEPOINT.cookie + 8,
  );
  keepAlive(n);
  return fd;
}

/** Options of BPF_LINK_CREATE. The attach type decides which extra group applies. */
export interface LinkCreateAttr {
  progFd: number;
  /** cgroup/netns fd, ifindex (xdp, tcx, netkit), sockmap fd, or 0. */
  targetFd: number;
  attachType: number;
  flags?: number;
  /** Tracing, lsm, freplace, struct_ops: BTF id of the target. */
  targetBtfId?: number;
  /** Iterators: a `union bpf_iter_link_info`. */
  iterInfo?: Uint8Array;
  /** perf_event links: cookie. */
  perfEventCookie?: bigint | number;
  /** kprobe_multi. */
  kprobeMulti?: { flags?: number; syms?: string[]; addrs?: BigUint64Array; cookies?: BigUint64Array };
  /** fentry/fexit/lsm cookie. */
  tracingCookie?: bigint | number;
  /** netfilter: protocol family, hook number, priority and flags. */
  netfilter?: { pf: number; hooknum: number; priority: number; flags?: number };
  /** tcx and netkit: relative fd/id and expected revision. */
  mprog?: { relativeFdOrId?: number; expectedRevision?: bigint | number };
  /** uprobe_multi. */
  uprobeMulti?: {
    path: string;
    offsets: BigUint64Array;
    refCtrOffsets?: BigUint64Array;
    cookies?: BigUint64Array;
    flags?: number;
    pid?: number;
  };
}

const linkAttr = lazyAttr(L.SIZE);
const LINK = 'BPF_LINK_CREATE';

/** BPF_LINK_CREATE: attaches through a bpf_link and returns the link fd. */
export function linkCreate(o: LinkCreateAttr): number {
  const a = linkAttr().reset();
  a.u32(L.prog_fd, checkFd(o.progFd, 'progFd'))
    .u32(L.target_fd, checkU32(o.targetFd, 'targetFd'))
    .u32(L.attach_type, checkU32(o.attachType, 'attachType'))
    .u32(L.flags, checkU32(o.flags ?? 0, 'flags'));
  const temporaries: unknown[] = [];
  // The size passed ends after the last field of the union member in use.
  let size: number = L.target_btf_id;
  if (o.targetBtfId !== undefined) {
    a.u32(L.target_btf_id, checkU32(o.targetBtfId, 'targetBtfId'));
    size = L.target_btf_id + 4;
  }
  if (o.iterInfo) {
    checkBuffer(o.iterInfo, LINK, 'iterInfo', 1, 'a bpf_iter_link_info');
    a.ptr(L.iter_info, o.iterInfo).u32(L.iter_info_len, o.iterInfo.byteLength);
    size = L.iter_info_len + 4;
  }
  if (o.perfEventCookie !== undefined) {
    a.u64(L.perf_event_bpf_cookie, checkU64(o.perfEventCookie, 'perfEventCookie'));
    size = L.perf_event_bpf_cookie + 8;
  }
  if (o.tracingCookie !== undefined) {
    a.u64(L.tracing_cookie, checkU64(o.tracingCookie, 'tracingCookie'));
    size = L.tracing_cookie + 8;
  }
  if (o.kprobeMulti) {
    const k = o.kprobeMulti;
    const syms = k.syms?.map((s) => cString(checkCString(s, 'kprobeMulti.syms')));
    const symPtrs = syms ? BigUint64Array.from(syms, addressOf) : undefined;
    const cnt = symPtrs?.length ?? k.addrs?.length ?? 0;
    if (k.addrs) checkBuffer(k.addrs, LINK, 'kprobeMulti.addrs', cnt * 8, `${cnt} addresses`);
    if (k.cookies)
      checkBuffer(k.cookies, LINK, 'kprobeMulti.cookies', cnt * 8, `${cnt} cookies, one per probe`);
    temporaries.push(syms, symPtrs);
    a.u32(L.kprobe_multi_flags, checkU32(k.flags ?? 0, 'kprobeMulti.flags'))
      .u32(L.kprobe_multi_cnt, symPtrs?.length ?? k.addrs?.length ?? 0)
      .ptr(L.kprobe_multi_syms, symPtrs ?? null)
      .ptr(L.kprobe_multi_addrs, k.addrs ?? null)
      .ptr(L.kprobe_multi_cookies, k.cookies ?? null);
    size = L.kprobe_multi_cookies + 8;
  }
  if (o.netfilter) {
    const n = o.netfilter;
    a.u32(L.netfilter_pf, checkU32(n.pf, 'netfilter.pf'))
      .u32(L.netfilter_hooknum, checkU32(n.hooknum, 'netfilter.hooknum'))
      .s32(L.netfilter_priority, checkInt(n.priority, 'netfilter.priority', -0x80000000, 0x7fffffff))
      .u32(L.netfilter_flags, checkU32(n.flags ?? 0, 'netfilter.flags'));
    size = L.netfilter_flags + 4;
  }
  if (o.mprog) {
    a.u32(L.tcx_relative_fd, checkU32(o.mprog.relativeFdOrId ?? 0, 'mprog.relativeFdOrId')).u64(
      L.tcx_expected_revision,
      checkU64(o.mprog.expectedRevision ?? 0, 'mprog.expectedRevision'),
    );
    size = L.tcx_expected_revision + 8;
  }
  if (o.uprobeMulti) {
    const u = o.uprobeMulti;
    const path = cString(checkCString(u.path, 'uprobeMulti.path'));
    checkBuffer(u.offsets, LINK, 'uprobeMulti.offsets', 8, 'one offset');
    // The kernel reads `cnt` 8-byte offsets: the array's element count, which its bytes must hold
    // (a Uint8Array's length counts bytes, not offsets).
    const cnt = checkU32(u.offsets.length, 'uprobeMulti.offsets.length');
    checkBuffer(u.offsets, LINK, 'uprobeMulti.offsets', cnt * 8, `${cnt} offsets (its length)`);
    if (u.refCtrOffsets)
      checkBuffer(
        u.refCtrOffsets,
        LINK,
        'uprobeMulti.refCtrOffsets',
        cnt * 8,
        `${cnt} offsets, one per probe`,
      );
    if (u.cookies)
      checkBuffer(u.cookies, LINK, 'uprobeMulti.cookies', cnt * 8, `${cnt} cookies, one per probe`);
    a.ptr(L.uprobe_multi_path, path)
      .ptr(L.uprobe_multi_offsets, u.offsets)
      .ptr(L.uprobe_multi_ref_ctr_offsets, u.refCtrOffsets ?? null)
      .ptr(L.uprobe_multi_cookies, u.cookies ?? null)
      .u32(L.uprobe_multi_cnt, cnt)
      .u32(L.uprobe_multi_flags, checkU32(u.flags ?? 0, 'uprobeMulti.flags'))
      .u32(L.uprobe_multi_pid, checkU32(u.pid ?? 0, 'uprobeMulti.pid'));
    temporaries.push(path);
    size = L.SIZE;
  }
  const fd = bpfCall(BpfCmd.LINK_CREATE, a, size);
  keepAlive(temporaries, o);
  return fd;
}

const linkUpdateAttr = lazyAttr(LINK_UPDATE.SIZE);

/** BPF_LINK_UPDATE: swaps the link's program (atomically replacing `oldProgFd` if given). */
export function linkUpdate(
  linkFd: number,
  newProgFd: number,
  options: { oldProgFd?: number; flags?: number } = {},
) {
  linkUpdateAttr()
    .reset()
    .u32(LINK_UPDATE.link_fd, checkFd(linkFd, 'linkFd'))
    .u32(LINK_UPDATE.new_prog_fd, checkFd(newProgFd, 'newProgFd'))
    .u32(LINK_UPDATE.flags, checkU32(options.flags ?? 0, 'flags'))
    .u32(
      LINK_UPDATE.old_prog_fd,
      options.oldProgFd === undefined ? 0 : checkFd(options.oldProgFd, 'oldProgFd'),
    );
  bpfCall(BpfCmd.LINK_UPDATE, linkUpdateAttr(), LINK_UPDATE.SIZE);
}

/** BPF_LINK_DETACH: detaches the link while its fd stays open. */
export function linkDetach(linkFd: number): void {
  bpfCall(BpfCmd.LINK_DETACH, linkUpdateAttr().reset().u32(0, checkFd(linkFd, 'linkFd')), 4);
}

/** BPF_ITER_CREATE: a readable fd producing the iterator link's output. */
export function iterCreate(linkFd: number, flags = 0): number {
  linkUpdateAttr().reset().u32(0, checkFd(linkFd, 'linkFd')).u32(4, checkU32(flags, 'flags'));
  return bpfCall(BpfCmd.ITER_CREATE, linkUpdateAttr(), 8);
}
