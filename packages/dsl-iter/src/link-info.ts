import { BpfCgroupIterOrder, type ByteOrder, isLittleEndian } from '@ts-ebpf/uapi';
import { IterArgumentError } from './errors.js';
import { MAP_ELEMENT_TARGETS } from './targets.js';

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

/**
 * `v` as a u32 the kernel reads as given: it reads 0 as "not given" (a task iterator then walks
 * every task, a cgroup iterator starts at the root, a map-element iterator has no map), so 0 is
 * refused rather than silently meaning "everything".
 */
function u32(name: string, v: number): number {
  if (!Number.isInteger(v) || v < 0 || v > 0xffffffff)
    throw new IterArgumentError(`iterator parameter '${name}'`, `${v} is not a u32`);
  if (v === 0)
    throw new IterArgumentError(
      `iterator parameter '${name}'`,
      `0: the kernel reads 0 as no ${name} given (the iterator would walk everything, or fail): leave the parameter out to mean that`,
    );
  return v;
}

/** The parameter names each kind of iterator takes (`attach_target` of its registration). */
const PARAMETER_KINDS = Object.freeze({
  task: Object.freeze(['tid', 'pid', 'pidfd']),
  map: Object.freeze(['map']),
  cgroup: Object.freeze(['cgroupFd', 'cgroupId']),
} as const);

/**
 * Which parameters a target takes, from the kernel's registration of it: the task, task_file
 * and task_vma iterators optionally one task or process (`bpf_iter_attach_task`); the
 * map-element ones the map they walk, which they need (`bpf_iter_attach_map`); the cgroup one
 * the cgroup it starts from and its order, which it needs (an order of 0 is refused); every
 * other target none (the kernel ignores what it is given).
 */
function parameterKind(
  target: string,
): { kind: keyof typeof PARAMETER_KINDS; required: boolean } | undefined {
  if (target === 'task' || target === 'task_file' || target === 'task_vma')
    return { kind: 'task', required: false };
  if ((MAP_ELEMENT_TARGETS as readonly string[]).includes(target)) return { kind: 'map', required: true };
  if (target === 'cgroup') return { kind: 'cgroup', required: true };
  return undefined;
}

/**
 * Checks that iterator `target` takes `params` (undefined: none given): a parameter of another
 * kind of iterator would be read by the kernel as its own (a map's fd as a thread id) or
 * ignored, and a map-element or cgroup iterator without one fails to attach.
 * @throws IterArgumentError naming the target and what it takes
 */
export function checkIterParameters(target: string, params: IterParameters | undefined): void {
  const kind = parameterKind(target);
  const given = params ? Object.keys(params).filter((k) => k !== 'order') : [];
  const takes = kind ? PARAMETER_KINDS[kind.kind].map((k) => `{ ${k} }`).join(', ') : 'no parameters';
  if (given.length === 0) {
    if (kind?.required)
      throw new IterArgumentError(
        `iterator '${target}' parameters`,
        `none given, and the kernel needs one of ${takes}${kind.kind === 'cgroup' ? ' (with an order)' : ''}`,
      );
    return;
  }
  if (!kind || !given.every((k) => (PARAMETER_KINDS[kind.kind] as readonly string[]).includes(k)))
    throw new IterArgumentError(
      `iterator '${target}' parameters`,
      `${given.join(', ')} given, but it takes ${kind ? `one of ${takes}` : takes}: the kernel would read them as something else or ignore them`,
    );
}

/**
 * Encodes iterator parameters as `union bpf_iter_link_info` (16 bytes) in `byteOrder`, for
 * `attachIter(program, { iterInfo })` of `@ts-ebpf/programs`. Which target takes which
 * parameters is {@link checkIterParameters}' concern (`loadIterator` checks both).
 * @throws IterArgumentError for an unknown or out-of-range parameter (0 included: the kernel
 * reads it as not given), several at once, or an `order` without a cgroup
 */
export function iterLinkInfo(params: IterParameters, byteOrder: ByteOrder): Uint8Array {
  const keys = Object.keys(params).filter((k) => k !== 'order');
  if (keys.length !== 1)
    throw new IterArgumentError(
      'iterator parameters',
      `give exactly one of map, tid, pid, pidfd, cgroupFd, cgroupId (got ${keys.join(', ') || 'none'})`,
    );
  if (Object.hasOwn(params, 'order') && keys[0] !== 'cgroupFd' && keys[0] !== 'cgroupId')
    throw new IterArgumentError(
      `iterator parameter 'order'`,
      `goes with cgroupFd or cgroupId, not ${keys[0]}: only a cgroup iterator has an order`,
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
