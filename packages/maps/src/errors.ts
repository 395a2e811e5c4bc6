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
