/**
 * Producer programs and rings for the ring and perf buffer tests, also used by
 * bench/ring.bench.ts. The package is imported by its name, not from ../src: the bench runs on the
 * built package (dist) and must not load the sources beside it; in tests the name resolves to
 * src/ through the `@ts-ebpf/source` condition, as every other import does.
 */
import { bpf, type Fragment, program, R0, R8, R9, R10, stx } from '@ts-ebpf/dsl';
import { ArrayMap, type BpfMap, PerfEventArray, RingBufMap, struct, u64 } from '@ts-ebpf/maps';
import { BpfProgType, close, progLoad, progTestRun } from '@ts-ebpf/syscall';
import { hostCode } from '@ts-ebpf/test-utils';

/** Counters a producer program keeps: records attempted (seq) and records that did not fit. */
export const counterValue = struct({ seq: u64, drops: u64 });

/** The counters map a producer program uses. */
export function counters(): BpfMap<number, { seq: bigint; drops: bigint }> {
  return ArrayMap.create({ value: counterValue, maxEntries: 1 });
}

// r7 = &counters[0]; r8 = seq++ (fetch-add). Exits when the lookup fails.
function prologue(countersFd: number): Fragment {
  return bpf`
    r6 = r1
    *(u32 *)(r10 - 4) = 0
    r2 = r10
    r2 += -4
    r1 = map[fd:${countersFd}]
    call bpf_map_lookup_elem
    if r0 == 0 goto end
    r7 = r0
    r1 = 1
    r1 = atomic_fetch_add((u64 *)(r7 + 0), r1)
    r8 = r1`;
}

const drop = bpf`
  drop: r1 = 1
  lock *(u64 *)(r7 + 8) += r1
  goto end`;
const epilogue = bpf`
  end: r0 = 2
  exit`;

/**
 * A program that emits one `size`-byte record per run through the ring buffer:
 * bpf_ringbuf_reserve + submit (or discard for odd sequence numbers when `discardOdd`),
 * words 0 and last = seq, and bytes in between = the low byte of seq.
 */
export function ringReserveProgram(
  ringFd: number,
  countersFd: number,
  size: number,
  discardOdd = false,
): Uint8Array {
  const fill: Fragment[] = [];
  for (let off = 8; off < size - 8; off += 8) fill.push([stx('u64', R0, R9, off)]);
  return hostCode(
    program(
      prologue(countersFd),
      bpf`
        r1 = map[fd:${ringFd}]
        r2 = ${size}
        r3 = 0
        call bpf_ringbuf_reserve
        if r0 == 0 goto drop
        *(u64 *)(r0 + 0) = r8
        *(u64 *)(r0 + ${size - 8}) = r8
        // r9 = (seq & 0xff) * 0x0101010101010101: r9 *= 0x01010101, then r9 |= r9 << 32
        r9 = r8
        r9 &= 0xff
        r9 *= 0x01010101
        r1 = r9
        r1 <<= 32
        r9 |= r1`,
      fill,
      bpf`
        r1 = r0
        r2 = 0`,
      discardOdd
        ? bpf`
            r3 = r8
            r3 &= 1
            if r3 != 0 goto discard
            call bpf_ringbuf_submit
            goto end
          discard:
            call bpf_ringbuf_discard
            goto end`
        : bpf`
            call bpf_ringbuf_submit
            goto end`,
      drop,
      epilogue,
    ),
  );
}

/**
 * A program that copies a `size`-byte stack record (≤ 256) to the ring with
 * bpf_ringbuf_output, or to a perf event array with bpf_perf_event_output(BPF_F_CURRENT_CPU).
 * Record words are all seq.
 */
export function outputProgram(
  kind: 'ring' | 'perf',
  mapFd: number,
  countersFd: number,
  size: number,
): Uint8Array {
  const fill: Fragment[] = [];
  for (let off = 0; off < size; off += 8) fill.push([stx('u64', R10, R8, -size + off)]);
  const out =
    kind === 'ring'
      ? bpf`
          r1 = map[fd:${mapFd}]
          r2 = r10
          r2 += ${-size}
          r3 = ${size}
          r4 = 0
          call bpf_ringbuf_output`
      : bpf`
          r1 = r6
          r2 = map[fd:${mapFd}]
          w3 = -1
          r4 = r10
          r4 += ${-size}
          r5 = ${size}
          call bpf_perf_event_output`;
  return hostCode(
    program(
      prologue(countersFd),
      fill,
      out,
      bpf`
        if r0 != 0 goto drop
        goto end`,
      drop,
      epilogue,
    ),
  );
}

/**
 * Loads a producer program as a socket filter (ring buffer helpers) or a tc classifier
 * (bpf_perf_event_output): both test-run cheaply with repeat > 1, unlike XDP here.
 */
export function loadProducer(insns: Uint8Array, kind: 'ring' | 'perf' = 'ring'): number {
  const progType = kind === 'ring' ? BpfProgType.SOCKET_FILTER : BpfProgType.SCHED_CLS;
  return progLoad({ progType, insns, logLevel: 1, logSize: 1 << 20 });
}

const packet = new Uint8Array(64);

/** Runs a producer program `repeat` times with a 64-byte packet. */
export function run(progFd: number, repeat: number): void {
  progTestRun({ progFd, dataIn: packet, repeat });
}

/** Runs the producer `rounds` times, `perRound` records each, `gapMs` apart (first after one gap). */
export async function runLater(progFd: number, rounds: number, perRound: number, gapMs = 2): Promise<void> {
  for (let i = 0; i < rounds; i++) {
    await new Promise((r) => setTimeout(r, gapMs));
    run(progFd, perRound);
  }
}

/**
 * A ring buffer of `maxEntries` bytes with its counters and a loaded ringReserveProgram
 * producer of `size`-byte records; disposing closes all three.
 */
export function ringWithProducer(size: number, maxEntries: number, discardOdd = false) {
  const ring = RingBufMap.create({ maxEntries });
  const cnt = counters();
  const prog = loadProducer(ringReserveProgram(ring.fd, cnt.fd, size, discardOdd));
  return {
    ring,
    cnt,
    prog,
    [Symbol.dispose]() {
      close(prog);
      cnt.close();
      ring.close();
    },
  };
}

/**
 * A perf event array with its counters and a loaded outputProgram producer of `size`-byte
 * samples; disposing closes all three.
 */
export function perfWithProducer(size: number) {
  const map = PerfEventArray.create();
  const cnt = counters();
  const prog = loadProducer(outputProgram('perf', map.fd, cnt.fd, size), 'perf');
  return {
    map,
    cnt,
    prog,
    [Symbol.dispose]() {
      close(prog);
      cnt.close();
      map.close();
    },
  };
}

/** What a record written by ringReserveProgram is read through: a view, a cursor or a list entry. */
export interface ProducedRecord {
  length: number;
  u64(offset: number): bigint;
  u8(offset: number): number;
}

/**
 * Checks a `size`-byte record written by ringReserveProgram (its seq at both ends, its low
 * byte in between); returns the seq.
 */
export function checkProduced(record: ProducedRecord, size: number): number {
  if (record.length !== size) throw new Error(`record of ${record.length} bytes, expected ${size}`);
  const seq = record.u64(0);
  if (record.u64(size - 8) !== seq) throw new Error(`record ${seq} has a different seq at its end`);
  const b = Number(seq & 0xffn);
  for (let off = 8; off < size - 8; off++) {
    if (record.u8(off) !== b) throw new Error(`record ${seq} corrupt at byte ${off}`);
  }
  return Number(seq);
}
