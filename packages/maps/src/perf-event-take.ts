import type { Codec } from './codecs/codec.js';
import { FeedbackCopies } from './feedback-copy.js';
import { HELPERS, type PerfDrainReader } from './perf-events.js';
import { NONE } from './waiting-iterator.js';

/**
 * The one-sample take of `reader`'s samples decoded by `codec` (see {@link takePerfEventWith}): a
 * copy per codec, as the drains are.
 */
export function perfEventTake<T>(reader: PerfDrainReader, codec: Codec<T>): () => T | typeof NONE {
  const take = takes.get(codec, 0) as typeof takePerfEventWith<T>;
  return () => take(reader, codec, TAKE_HELPERS);
}

/** What the take uses from its modules, handed in: it has no free variables. */
const TAKE_HELPERS = { ...HELPERS, NONE: NONE as typeof NONE };

/**
 * @internal Decodes the next ready sample of a perf buffer's rings and gives its space back, as
 * the drain (perf-events.ts) does for each sample, for one sample: what a `for await` step takes.
 * Entering the drain for one sample cost more than the rest of a step (a pass over every CPU's
 * ring, a `try`/`finally`, the head read again each time).
 *
 * The take reads the ring `reader.current` up to the head it last read there; where that is used
 * up it moves to the next CPU's ring and reads that ring's head, so that every CPU is read in turn
 * (one pass over what each had written when looked at), as the drain's passes do. Lost-sample
 * records on the way are reported through `reader.lost`. A sample shorter than the codec, or one
 * the codec refuses, is consumed and its error thrown; a corrupt record header is not consumed.
 * Runs as a copy per codec (see feedback-copy.ts). @returns the value, or `h.NONE` when no ring
 * has a sample ready.
 */
export function takePerfEventWith<T>(
  reader: PerfDrainReader,
  codec: Codec<T>,
  h: typeof TAKE_HELPERS,
): T | typeof NONE {
  const { LE, ORDER, SAMPLE, LOST } = h;
  const rings = reader.rings;
  const page = reader.page;
  const size = reader.size;
  const mask = size - 1;
  // rings whose head was read afresh and found caught up: once every ring, nothing is ready
  let looked = 0;
  let r = rings[reader.current]!;
  for (;;) {
    let tail = r.tail;
    if (tail >= r.head) {
      if (looked === rings.length) return h.NONE;
      looked++;
      reader.current = reader.current + 1 === rings.length ? 0 : reader.current + 1;
      r = rings[reader.current]!;
      r.head = h.readPosition(r.meta);
      continue;
    }
    const at = page + (tail & mask);
    const view = r.view;
    const type = view.getUint32(at, LE);
    const recordSize = view.getUint16(at + 6, LE);
    if (recordSize < 8 || tail + recordSize > r.head)
      throw h.corrupt(reader, r, recordSize, r.head - tail, -1);
    const body = tail + 8;
    tail += recordSize;
    // Consumed from here (as the drain counts a sample it delivered or refused).
    r.tail = tail;
    h.writePosition(r.meta, 2, tail);
    if (type === SAMPLE) {
      const len = view.getUint32(page + (body & mask), LE);
      if (len > recordSize - 12) throw h.corrupt(reader, r, recordSize, r.head - tail, len);
      const start = (body + 4) & mask;
      const inPlace = start + len <= size;
      let event: T;
      try {
        if (len < codec.size) throw h.eventTooShort(codec, len, reader.name);
        event = codec.read(inPlace ? view : reader.unwrap(r, start, len), inPlace ? page + start : 0, ORDER);
      } catch (error) {
        throw h.recordCodecError(error, reader.name);
      }
      reader.stats.records++;
      reader.stats.bytes += len;
      return event;
    }
    // struct { u64 id; u64 lost; }: the count, u64-aligned, cannot wrap
    if (type === LOST) reader.lost(Number(view.getBigUint64(page + ((body + 8) & mask), LE)), r.cpu);
  }
}

const takes = new FeedbackCopies(takePerfEventWith, 'perf-event-take', 1);
