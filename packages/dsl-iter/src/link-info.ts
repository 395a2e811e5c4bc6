import { BpfCgroupIterOrder, type ByteOrder, isLittleEndian } from '@ts-ebpf/uapi';
import { IterArgumentError } from './errors.js';

/** Walk order of a cgroup iterator by name. */
export type CgroupIterOrderName = 'self' | 'descendants-pre' | 'descendants-post' | 'ancestors-up';

const ORDERS: Record<CgroupIterOrderName, number> = {
  self: BpfCgroupIterOrder.SELF_ONLY,
  'descendants-pre': BpfCgroupIterOrder.DESCENDANTS_PRE,
  'descendants-post': BpfCgroupIterOrder.DESCENDANTS_POST,
  'ancestors-up': BpfCgroupIterOrder.ANCESTORS_UP,
};

/**
 * Parameters of an iterator link (`union bpf_iter_link_info`): the map of a map-element
 * iterator; the one thread, process, or process by pidfd of a task iterator; the cgroup
 * (by fd or id) and walk order of a cgroup iterator.
 */
export type IterParameters =
  | { readonly map: number }
  | { readonly tid: number }
  | { readonly pid: number }
  | { readonly pidfd: number }
  | { readonly cgroupFd: number; readonly order?: CgroupIterOrderName }
  | { readonly cgroupId: bigint; readonly order?: CgroupIterOrderName };

/** Where each u32 parameter sits in the union: `map.map_fd`, `task.tid`, `task.pid`, `task.pid_fd`. */
const U32_PARAMETER_OFFSETS: Readonly<Record<string, number>> = { map: 0, tid: 0, pid: 4, pidfd: 8 };

/** Size of `union bpf_iter_link_info`. */
export const ITER_LINK_INFO_SIZE = 16;

function u32(name: string, v: number): number {
  if (!Number.isInteger(v) || v < 0 || v > 0xffffffff)
    throw new IterArgumentError(`iterator parameter '${name}'`, `${v} is not a u32`);
  return v;
}

/**
 * Encodes iterator parameters as `union bpf_iter_link_info` (16 bytes) in `byteOrder`, for
 * `attachIter(program, { iterInfo })` of `@ts-ebpf/programs`.
 * @throws IterArgumentError for an unknown or out-of-range parameter, or several at once
 */
export function iterLinkInfo(params: IterParameters, byteOrder: ByteOrder): Uint8Array {
  const keys = Object.keys(params).filter((k) => k !== 'order');
  if (keys.length !== 1)
    throw new IterArgumentError(
      'iterator parameters',
      `give exactly one of map, tid, pid, pidfd, cgroupFd, cgroupId (got ${keys.join(', ') || 'none'})`,
    );
  const b = new Uint8Array(ITER_LINK_INFO_SIZE);
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const le = isLittleEndian(byteOrder);
  const p = params as Record<string, unknown>;
  const key = keys[0]!;
  const order = (): number => {
    const name = (p.order ?? 'self') as CgroupIterOrderName;
    const o = ORDERS[name];
    if (o === undefined)
      throw new IterArgumentError(
        `cgroup iterator order`,
        `'${name}' is not one of ${Object.keys(ORDERS).join(', ')}`,
      );
    return o;
  };
  const u32At = Object.hasOwn(U32_PARAMETER_OFFSETS, key) ? U32_PARAMETER_OFFSETS[key] : undefined;
  if (u32At !== undefined) {
    v.setUint32(u32At, u32(key, p[key] as number), le);
    return b;
  }
  switch (key) {
    case 'cgroupFd':
      v.setUint32(0, order(), le);
      v.setUint32(4, u32('cgroupFd', p.cgroupFd as number), le);
      break;
    case 'cgroupId': {
      const id = p.cgroupId;
      if (typeof id !== 'bigint' || id <= 0n || id >= 2n ** 64n)
        throw new IterArgumentError(`iterator parameter 'cgroupId'`, `${String(id)} is not a u64 cgroup id`);
      v.setUint32(0, order(), le);
      v.setBigUint64(8, id, le);
      break;
    }
    default:
      throw new IterArgumentError(
        `iterator parameter '${key}'`,
        'is not one of map, tid, pid, pidfd, cgroupFd, cgroupId',
      );
  }
  return b;
}
