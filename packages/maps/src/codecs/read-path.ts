import { CodecError } from '../errors.js';

// Decode errors whose `field` is a path inside the decoded value ('seq', 'hdr.ts', 'w[1]'),
// as opposed to one a codec threw about the whole value (its `field` then names the codec).
const insideValue = new WeakSet<CodecError>();

/**
 * @internal A decode error at `path` inside the decoded value; containers that hold the value put
 * their own part in front ({@link readErrorAt}).
 */
export function readError(path: string, detail: string, cause?: unknown): CodecError {
  const e = new CodecError(path, detail, cause === undefined ? undefined : { cause });
  insideValue.add(e);
  return e;
}

/**
 * @internal `e`, thrown decoding the part `segment` of a value (a struct field's name, `[2]`,
 * `[cpu 1]`), with its path from that value: `hdr` + `ts` is `hdr.ts`, `w` + `[1]` is `w[1]`. An
 * error a codec threw about its whole value is named by `segment` and kept as the cause. Any
 * other error, and one naming a map or reader already, is returned as it is.
 */
export function readErrorAt(e: unknown, segment: string): unknown {
  if (!(e instanceof CodecError) || e.map !== undefined) return e;
  if (!insideValue.has(e)) return readError(segment, e.message, e);
  return readError(pathIn(segment, e.field), detailOf(e), e.cause);
}

/** @internal The path `rest` inside `head`: `hdr` and `ts` are `hdr.ts`, `w` and `[1]` are `w[1]`. */
export function pathIn(head: string, rest: string): string {
  return rest.startsWith('[') ? `${head}${rest}` : `${head}.${rest}`;
}

/** @internal Whether `e` is a decode error whose `field` is a path inside the decoded value. */
export function isReadPath(e: CodecError): boolean {
  return insideValue.has(e);
}

/** @internal A codec error's message without the field it starts with. */
export function detailOf(e: CodecError): string {
  const prefix = `${e.field}: `;
  return e.message.startsWith(prefix) ? e.message.slice(prefix.length) : e.message;
}
