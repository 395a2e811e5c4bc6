import { EbpfError } from '@ts-ebpf/uapi';

/** A key or value that does not fit its codec (wrong type, range, size or shape). */
export class CodecError extends EbpfError {
  /** The path of the offending field (`'value.addr[2]'`), or the codec name. */
  readonly field: string;

  constructor(field: string, message: string) {
    super(`${field}: ${message}`);
    this.name = 'CodecError';
    this.field = field;
  }
}

/** An operation that the map's type does not offer (e.g. `push` on a hash map). */
export class MapTypeError extends EbpfError {
  constructor(message: string) {
    super(message);
    this.name = 'MapTypeError';
  }
}

/** A struct_ops type that the kernel's BTF does not describe (no `struct bpf_struct_ops_<type>`). */
export class StructOpsTypeError extends EbpfError {
  /** The ops struct asked for (`'tcp_congestion_ops'`). */
  readonly type: string;

  constructor(type: string, message: string) {
    super(`struct_ops '${type}': ${message}`);
    this.name = 'StructOpsTypeError';
    this.type = type;
  }
}

/** One way a pinned map differs from the spec that would reuse it. */
export interface PinMismatch {
  /** `'type'`, `'keySize'`, `'valueSize'`, `'maxEntries'`, `'mapFlags'` or `'mapExtra'`. */
  readonly field: string;
  readonly pinned: number | bigint | string;
  readonly wanted: number | bigint | string;
}

/**
 * A spec's `pinning` found a map at its path that is not the map the spec describes (as libbpf
 * and cilium/ebpf refuse to reuse one): remove the pin (`unlink` it, or `BpfMap.unpin()`) or
 * make the spec match.
 */
export class PinnedMapMismatchError extends EbpfError {
  /** The pin path. */
  readonly path: string;
  readonly mismatches: readonly PinMismatch[];

  constructor(path: string, mismatches: readonly PinMismatch[]) {
    const what = mismatches.map((m) => `${m.field} ${m.pinned} (spec: ${m.wanted})`).join(', ');
    super(`the map pinned at ${path} does not match the spec: ${what}; remove the pin or change the spec`);
    this.name = 'PinnedMapMismatchError';
    this.path = path;
    this.mismatches = mismatches;
  }
}
