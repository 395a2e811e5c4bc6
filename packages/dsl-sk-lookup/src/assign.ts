import {
  add,
  call,
  type Fragment,
  fragment,
  isRegister,
  jeq,
  jne,
  ldMapFd,
  type MapRef,
  mark,
  mov,
  R0,
  R1,
  R2,
  R3,
  R7,
  R8,
  R10,
  type Register,
  returnCode,
  stx,
} from '@ts-ebpf/dsl';
import { BpfSkLookupFlag } from '@ts-ebpf/uapi';
import { SkLookupArgumentError } from './errors.js';
import { SK_LOOKUP_CTX, SK_LOOKUP_RETURN_CODES, type SkLookupVerdict } from './plugin.js';
import { setArg, type Value } from './values.js';

/** Flags of `bpf_sk_assign` in sk_lookup programs. */
export interface AssignFlags {
  /** Replace a socket an earlier program of the namespace assigned (BPF_SK_LOOKUP_F_REPLACE). */
  readonly replace?: boolean;
  /** Do not pick a socket of the assigned one's SO_REUSEPORT group (BPF_SK_LOOKUP_F_NO_REUSEPORT). */
  readonly noReuseport?: boolean;
}

/** The encoded flags of `bpf_sk_assign`. */
export function assignFlags(flags: AssignFlags = {}): number {
  return (
    (flags.replace ? BpfSkLookupFlag.REPLACE : 0) | (flags.noReuseport ? BpfSkLookupFlag.NO_REUSEPORT : 0)
  );
}

/** A key already written to the stack, at `r10 + stack` (any size the map's key has). */
export interface StackKey {
  /** Negative offset from R10 (the frame pointer) of the key's first byte. */
  readonly stack: number;
}

/** Options of {@link assignFromMap}. */
export interface AssignFromMapOptions extends AssignFlags {
  /** The verdict when the map holds no socket for the key (default `SK_PASS`: the usual lookup goes on). */
  readonly onMissing?: SkLookupVerdict;
  /** The verdict when `bpf_sk_assign` refuses the socket (default `SK_DROP`). */
  readonly onFailure?: SkLookupVerdict;
  /** Where the key goes when given as a value (default -4: a u32 at `r10 - 4`). */
  readonly keySlot?: number;
  /** The register holding the context (default {@link SK_LOOKUP_CTX}). */
  readonly ctx?: Register;
}

function verdict(name: SkLookupVerdict | undefined, fallback: SkLookupVerdict, what: string): number {
  const v = name ?? fallback;
  if (!Object.hasOwn(SK_LOOKUP_RETURN_CODES, v))
    throw new SkLookupArgumentError(what, `${JSON.stringify(v)} is not SK_PASS or SK_DROP`);
  return SK_LOOKUP_RETURN_CODES[v];
}

function stackOffset(offset: number, size: number, what: string): number {
  if (!Number.isInteger(offset) || offset < -512 || offset + size > 0)
    throw new SkLookupArgumentError(what, `r10 ${offset} (${size} bytes) is not inside the 512-byte stack`);
  return offset;
}

/** `r0 = bpf_sk_assign(ctx, sk, flags)`: selects the socket `sk` points to. Clobbers R1–R5. */
export function skAssign(sk: Register, flags: AssignFlags = {}, ctx: Register = SK_LOOKUP_CTX): Fragment {
  return [mov(R1, ctx), ...setArg(R2, sk, 'sk'), mov(R3, assignFlags(flags)), call('sk_assign')];
}

/** `bpf_sk_release(sk)`: drops the reference a socket lookup took. Clobbers R0–R5. */
export function skRelease(sk: Register): Fragment {
  return [...setArg(R1, sk, 'sk'), call('sk_release')];
}

/**
 * Looks the key up in a sockmap or sockhash, assigns the socket found (`bpf_sk_assign`),
 * releases it (`bpf_sk_release`) and ends the program: SK_PASS when assigned, `onFailure`
 * when the kernel refuses the socket (e.g. an IPv4-only socket for an IPv6 lookup, or a TCP
 * socket that is not listening), `onMissing` when the map holds no socket for the key.
 * `key` is a u32 (a constant or a register, stored at `keySlot`) for a sockmap, or a
 * {@link StackKey} already on the stack. Clobbers R0–R5, R7 and R8.
 */
export const assignFromMap: (map: MapRef, key: Value | StackKey, options?: AssignFromMapOptions) => Fragment =
  fragment((label, map: MapRef, key: Value | StackKey, options: AssignFromMapOptions = {}): Fragment => {
    const missing = verdict(options.onMissing, 'SK_PASS', 'onMissing');
    const failure = verdict(options.onFailure, 'SK_DROP', 'onFailure');
    let keyAt: number;
    let storeKey: Fragment = [];
    if (typeof key === 'object' && !isRegister(key)) {
      keyAt = stackOffset(key.stack, 1, 'key stack');
    } else {
      keyAt = stackOffset(options.keySlot ?? -4, 4, 'keySlot');
      if (typeof key === 'number' && (!Number.isInteger(key) || key < 0 || key > 0xffffffff))
        throw new SkLookupArgumentError('key', `${key} is not a sockmap key (a u32: 0–4294967295)`);
      storeKey = [...setArg(R2, key, 'key'), stx('w', R10, R2, keyAt)];
    }
    return [
      ...storeKey,
      ldMapFd(R1, map),
      mov(R2, R10),
      add(R2, keyAt),
      call('map_lookup_elem'),
      jeq(R0, 0, label('missing')),
      mov(R7, R0),
      ...skAssign(R7, options, options.ctx ?? SK_LOOKUP_CTX),
      mov(R8, R0),
      ...skRelease(R7),
      jne(R8, 0, label('failed')),
      returnCode(SK_LOOKUP_RETURN_CODES.SK_PASS, 'assignFromMap'),
      mark(label('failed')),
      returnCode(failure, 'assignFromMap onFailure'),
      mark(label('missing')),
      returnCode(missing, 'assignFromMap onMissing'),
    ];
  });
