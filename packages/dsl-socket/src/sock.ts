import { call, type Instruction, ldx, mov, R1, type Register, type SizeName } from '@ts-ebpf/dsl';
import {
  allowedHelpers,
  BPF_SOCK_LAYOUT,
  BpfFunc,
  BpfProgType,
  type BpfSockField,
  progTypeName,
  type StructField,
} from '@ts-ebpf/uapi';
import { SocketFieldError } from './errors.js';

/**
 * A socket pointer as the verifier types it, which decides the fields of `struct bpf_sock` a
 * program may read through it:
 * - `'sock_common'` (`sock_common_or_null` in the verifier's log): `sk` of `__sk_buff` in
 *   socket filters, sk_skb and tc programs. The object may be a request or timewait socket, so
 *   only what `struct sock_common` holds is readable: not `type`, `protocol`, `mark` nor
 *   `priority` (the kernel's `bpf_sock_common_is_valid_access`);
 * - `'sock'`: a full socket, as `sk` of `sk_msg_md` and `bpf_sock_ops` load, and as
 *   `bpf_sk_fullsock` ({@link skFullsock}) and `bpf_sk_lookup_tcp`/`_udp` return: every field
 *   (`bpf_sock_is_valid_access`).
 */
export type SockPointer = 'sock_common' | 'sock';

/** One field of `struct bpf_sock`, and the socket pointers it may be read through. */
export interface SockField extends StructField {
  /** The pointer kinds a program may read it through. */
  readonly via: readonly SockPointer[];
}

/** `struct bpf_sock` as BPF programs read it through socket pointers. */
export interface SockLayout {
  /** `struct bpf_sock`. */
  readonly type: string;
  /** 80 bytes. */
  readonly size: number;
  /** The fields by name (`src_ip6[0]` …). */
  readonly fields: Readonly<Record<BpfSockField, SockField>>;
}

/** The fields a `sock_common` pointer does not give (they live in `struct sock`). */
const FULL_SOCKET_ONLY: ReadonlySet<string> = new Set(['type', 'protocol', 'mark', 'priority']);

const EVERY_POINTER: readonly SockPointer[] = Object.freeze(['sock_common', 'sock']);
const FULL_SOCKET: readonly SockPointer[] = Object.freeze(['sock']);

/**
 * `struct bpf_sock` (offsets and sizes: `BPF_SOCK_LAYOUT` of `@ts-ebpf/uapi`) with the pointer
 * kinds each field may be read through: every field through a full socket (`'sock'`), all but
 * `type`, `protocol`, `mark` and `priority` through a `'sock_common'` pointer. Read-only
 * through either. `src_port` is in host byte order, `dst_port` (a `__be16`) and the addresses
 * in network byte order.
 */
export const BPF_SOCK: SockLayout = Object.freeze({
  type: BPF_SOCK_LAYOUT.type,
  size: BPF_SOCK_LAYOUT.size,
  fields: Object.freeze(
    Object.fromEntries(
      Object.entries(BPF_SOCK_LAYOUT.fields).map(([name, f]) => [
        name,
        Object.freeze({ ...f, via: FULL_SOCKET_ONLY.has(name) ? FULL_SOCKET : EVERY_POINTER }),
      ]),
    ) as Record<BpfSockField, SockField>,
  ),
});

const SIZE_NAMES: Record<number, SizeName> = { 1: 'b', 2: 'h', 4: 'w', 8: 'dw' };

/** Field names with each array's elements as one `name[0..n]`, e.g. `src_ip6[0..3]`. */
function fieldList(names: readonly string[]): string {
  const groups: { base: string; count: number; array: boolean }[] = [];
  for (const n of names) {
    const m = /^(\w+)\[\d+\]$/.exec(n);
    const last = groups.at(-1);
    if (m && last?.array && last.base === m[1]) last.count++;
    else groups.push({ base: m ? m[1]! : n, count: 1, array: m !== null });
  }
  return groups.map((g) => (g.array ? `${g.base}[0..${g.count - 1}]` : g.base)).join(', ');
}

/** The program types whose programs may call bpf_sk_fullsock (by the kernel facts of `@ts-ebpf/uapi`). */
function fullsockCallers(): string[] {
  return Object.values(BpfProgType)
    .filter((t) => allowedHelpers(t)?.has(BpfFunc.sk_fullsock) === true)
    .map(progTypeName);
}

/**
 * `dst = sk->field`: a load of a `struct bpf_sock` field through the socket pointer in `sk`,
 * which must have been checked against NULL when it may be NULL (`skb->sk`). `pointer` says
 * what kind `sk` holds: `'sock_common'` for `skb->sk`, `'sock'` for a full socket (see
 * {@link SockPointer}).
 * @throws SocketFieldError for a field `struct bpf_sock` lacks, or one the verifier does not
 * let a program read through a `pointer` (naming the fields it does, and how to get a full
 * socket), before the kernel is asked
 */
export function loadSock(
  pointer: SockPointer,
  field: BpfSockField,
  dst: Register,
  sk: Register,
): Instruction {
  const f = Object.hasOwn(BPF_SOCK.fields, field) ? BPF_SOCK.fields[field] : undefined;
  if (!f)
    throw new SocketFieldError(
      field,
      pointer,
      `${BPF_SOCK.type} has no field '${field}' (fields: ${fieldList(Object.keys(BPF_SOCK.fields))})`,
    );
  if (!f.via.includes(pointer)) {
    const readable = Object.keys(BPF_SOCK.fields).filter((n) =>
      BPF_SOCK.fields[n as BpfSockField].via.includes(pointer),
    );
    throw new SocketFieldError(
      field,
      pointer,
      `${BPF_SOCK.type}.${field} cannot be read through a ${pointer} pointer${pointer === 'sock_common' ? ' (what skb->sk loads)' : ''}: the verifier allows ${fieldList(readable)} there. ` +
        `A full socket ('sock') comes from bpf_sk_fullsock (skFullsock), which ${fullsockCallers().join(', ')} programs may call`,
    );
  }
  return ldx(SIZE_NAMES[f.size]!, dst, sk, f.offset);
}

/**
 * `r0 = bpf_sk_fullsock(sk)`: the full socket behind a `sock_common` pointer (`skb->sk`), as a
 * `'sock'` pointer for {@link loadSock}, or NULL when it is a request or timewait socket
 * (check before use). Clobbers R1–R5. Only some program types may call it (tc and cgroup skb,
 * not socket filters nor sk_skb: `build` of their sections refuses it with
 * `HelperNotAllowedError`).
 */
export function skFullsock(sk: Register): Instruction[] {
  return [...(sk.num === R1.num ? [] : [mov(R1, sk)]), call('sk_fullsock')];
}
