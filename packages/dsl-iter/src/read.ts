import type { ByteOrder } from '@ts-ebpf/uapi';
import { IterArgumentError } from './errors.js';
import type { RecordFieldType, RecordLayout, RecordOf } from './record.js';
import { utf8Decoder } from './text.js';

/** Chunks of an iterator's output: an `IterReader` of `@ts-ebpf/programs`, an array, a stream. */
export type Chunks = AsyncIterable<Uint8Array> | Iterable<Uint8Array>;

/**
 * The lines of an iterator's text output (bpf_seq_printf), without their `\n`, decoded as
 * UTF-8 across chunk boundaries. A last line without `\n` is yielded too.
 */
export async function* textLines(chunks: Chunks): AsyncGenerator<string> {
  const decoder = utf8Decoder();
  let rest = '';
  for await (const chunk of chunks) {
    rest += decoder.decode(chunk, { stream: true });
    let nl = rest.indexOf('\n');
    while (nl >= 0) {
      yield rest.slice(0, nl);
      rest = rest.slice(nl + 1);
      nl = rest.indexOf('\n');
    }
  }
  rest += decoder.decode();
  if (rest.length > 0) yield rest;
}

/**
 * The records of an iterator's binary output (bpf_seq_write of `layout`), decoded across
 * chunk boundaries with `byteOrder` (`HOST_BYTE_ORDER` for this kernel's iterators).
 * @throws IterArgumentError when the output ends inside a record (nothing is dropped)
 */
export async function* typedRecords<F extends Readonly<Record<string, RecordFieldType>>>(
  chunks: Chunks,
  layout: RecordLayout<F>,
  byteOrder: ByteOrder,
): AsyncGenerator<RecordOf<F>> {
  let pending = new Uint8Array(0);
  for await (const chunk of chunks) {
    let bytes = chunk;
    if (pending.byteLength > 0) {
      bytes = new Uint8Array(pending.byteLength + chunk.byteLength);
      bytes.set(pending);
      bytes.set(chunk, pending.byteLength);
    }
    let at = 0;
    for (; at + layout.size <= bytes.byteLength; at += layout.size) yield layout.decode(bytes, byteOrder, at);
    pending = bytes.slice(at);
  }
  if (pending.byteLength > 0)
    throw new IterArgumentError(
      'iterator output',
      `ends with ${pending.byteLength} bytes, not a whole record of ${layout.size}: the program wrote something else than the layout`,
    );
}
