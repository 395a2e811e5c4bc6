/** A key or value that does not fit its codec (wrong type, range, size or shape). */
export class CodecError extends TypeError {
  /** The path of the offending field (`'value.addr[2]'`), or the codec name. */
  readonly field: string;

  constructor(field: string, message: string) {
    super(`${field}: ${message}`);
    this.name = 'CodecError';
    this.field = field;
  }
}

/** An operation that the map's type does not offer (e.g. `push` on a hash map). */
export class MapTypeError extends TypeError {
  constructor(message: string) {
    super(message);
    this.name = 'MapTypeError';
  }
}

/** A struct_ops type that the kernel's BTF does not describe (no `struct bpf_struct_ops_<type>`). */
export class StructOpsTypeError extends Error {
  /** The ops struct asked for (`'tcp_congestion_ops'`). */
  readonly type: string;

  constructor(type: string, message: string) {
    super(`struct_ops '${type}': ${message}`);
    this.name = 'StructOpsTypeError';
    this.type = type;
  }
}
