import { BpfProgType, btfLoad, close, progLoad, progTestRun } from '@ts-ebpf/syscall';
import { btfBlob } from '../src/btf-blob.js';
import { ArrayMap, type BpfMap, RingBufMap, struct, u64 } from '../src/index.js';
import {
  addImm,
  andImm,
  assemble,
  atomicAdd,
  call,
  exit,
  fetchAdd,
  goto,
  H,
  type Item,
  ins,
  jmp,
  ldMap,
  ldxDw,
  movImm,
  movImm32,
  movReg,
  stW,
  stxDw,
} from './asm.js';

/** Counters a producer program keeps: records attempted (seq) and records that did not fit. */
export const counterValue = struct({ seq: u64, drops: u64 });

/** The counters map a producer program uses. */
export function counters(): BpfMap<number, { seq: bigint; drops: bigint }> {
  return ArrayMap.create({ value: counterValue, maxEntries: 1 });
}

// r7 = &counters[0]; r8 = seq++ (fetch-add). Exits when the lookup fails.
function prologue(countersFd: number): Item[] {
  return [
    movReg(6, 1),
    stW(10, -4, 0),
    movReg(2, 10),
    addImm(2, -4),
    ldMap(1, countersFd),
    call(H.map_lookup_elem),
    jmp(0x15, 0, 0, 'end'),
    movReg(7, 0),
    movImm(1, 1),
    fetchAdd(7, 0, 1),
    movReg(8, 1),
  ];
}

const drop: Item[] = ['drop', movImm(1, 1), atomicAdd(7, 8, 1), goto('end')];
const epilogue: Item[] = ['end', movImm(0, 2), exit()];

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
  const fill: Item[] = [];
  for (let off = 8; off < size - 8; off += 8) fill.push(stxDw(0, off, 9));
  return assemble([
    ...prologue(countersFd),
    ldMap(1, ringFd),
    movImm(2, size),
    movImm(3, 0),
    call(H.ringbuf_reserve),
    jmp(0x15, 0, 0, 'drop'),
    stxDw(0, 0, 8),
    stxDw(0, size - 8, 8),
    // r9 = (seq & 0xff) * 0x0101010101010101
    movReg(9, 8),
    andImm(9, 0xff),
    ins64mul(9),
    ...fill,
    movReg(1, 0),
    movImm(2, 0),
    ...(discardOdd
      ? [
          movReg(3, 8),
          andImm(3, 1),
          jmp(0x55, 3, 0, 'discard'),
          call(H.ringbuf_submit),
          goto('end'),
          'discard',
          call(H.ringbuf_discard),
          goto('end'),
        ]
      : [call(H.ringbuf_submit), goto('end')]),
    ...drop,
    ...epilogue,
  ]);
}

// r *= 0x01010101 then r |= r << 32 (spread one byte over 8).
function ins64mul(r: number): number[] {
  return [
    ...[0x27, r, 0, 0, 0x01, 0x01, 0x01, 0x01],
    ...movReg(1, r),
    ...[0x67, 1, 0, 0, 32, 0, 0, 0],
    ...[0x4f, r | (1 << 4), 0, 0, 0, 0, 0, 0],
  ];
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
  const fill: Item[] = [];
  for (let off = 0; off < size; off += 8) fill.push(stxDw(10, -size + off, 8));
  const out: Item[] =
    kind === 'ring'
      ? [
          ldMap(1, mapFd),
          movReg(2, 10),
          addImm(2, -size),
          movImm(3, size),
          movImm(4, 0),
          call(H.ringbuf_output),
        ]
      : [
          movReg(1, 6),
          ldMap(2, mapFd),
          movImm32(3, -1),
          movReg(4, 10),
          addImm(4, -size),
          movImm(5, size),
          call(H.perf_event_output),
        ];
  return assemble([
    ...prologue(countersFd),
    ...fill,
    ...out,
    jmp(0x55, 0, 0, 'drop'),
    goto('end'),
    ...drop,
    ...epilogue,
  ]);
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

const BTF_FUNC = 12;
const BTF_FUNC_PROTO = 13;

/** BTF for a program with two static functions (main and a callback), with their func_info. */
function twoFuncBtf(callbackInsn: number): { btf: Uint8Array; funcInfo: Uint8Array } {
  // biome-ignore format: one BTF type record per line
  const types = new Uint32Array([
    1, 1 << 24, 4, (1 << 24) | 32, // [1] int
    0, BTF_FUNC_PROTO << 24, 1, // [2] int (void)
    5, BTF_FUNC << 24, 2, // [3] static main
    10, BTF_FUNC << 24, 2, // [4] static cb
  ]);
  const btf = btfBlob(types, '\0int\0main\0cb\0');
  return { btf, funcInfo: new Uint8Array(new Uint32Array([0, 3, callbackInsn, 4]).buffer) };
}

/**
 * A sleepable BPF_PROG_TYPE_SYSCALL program that drains a user ring buffer with
 * bpf_user_ringbuf_drain; its callback reads each sample's first u64 and adds it to
 * counters[0].seq, counting samples in counters[0].drops. Returns the drained count.
 */
export function loadUserRingDrainer(urbFd: number, countersFd: number): number {
  const cbStart = 2 + 2 + 3 + 1; // slots of main
  // r2 = &cb: ld_imm64 with BPF_PSEUDO_FUNC (src 4), imm = slots from the next instruction.
  const cbAddress = [...ins(0x18, 2, 4, 0, cbStart - 2 - 1), ...ins(0, 0, 0, 0, 0)];
  const main: Item[] = [
    ldMap(1, urbFd),
    cbAddress,
    movImm(3, 0),
    movImm(4, 0),
    call(H.user_ringbuf_drain),
    exit(),
  ];
  const cb: Item[] = [
    movReg(6, 1),
    movReg(1, 10),
    addImm(1, -8),
    movImm(2, 8),
    movReg(3, 6),
    movImm(4, 0),
    movImm(5, 0),
    call(201), // bpf_dynptr_read
    jmp(0x55, 0, 0, 'out'),
    ldxDw(7, 10, -8),
    stW(10, -12, 0),
    movReg(2, 10),
    addImm(2, -12),
    ldMap(1, countersFd),
    call(H.map_lookup_elem),
    jmp(0x15, 0, 0, 'out'),
    atomicAdd(0, 0, 7),
    movImm(1, 1),
    atomicAdd(0, 8, 1),
    'out',
    movImm(0, 0),
    exit(),
  ];
  const insns = assemble([...main, ...cb]);
  const { btf, funcInfo } = twoFuncBtf(cbStart);
  const btfFd = btfLoad({ btf, logSize: 0 });
  try {
    return progLoad({
      progType: BpfProgType.SYSCALL,
      insns,
      progFlags: 1 << 4, // BPF_F_SLEEPABLE
      progBtfFd: btfFd,
      funcInfo,
      funcInfoRecSize: 8,
      logLevel: 1,
      logSize: 1 << 20,
    });
  } finally {
    close(btfFd);
  }
}

/** Runs a syscall program once (test-run with an empty context). */
export function runSyscall(progFd: number): number {
  return progTestRun({ progFd }).retval | 0;
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
