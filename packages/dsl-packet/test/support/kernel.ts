/** Loading and running test programs against the kernel. */
import { assemble, type Instruction } from '@ts-ebpf/dsl';
import {
  BpfMapType,
  BpfProgType,
  close,
  mapCreate,
  mapLookupElem,
  mapUpdateElem,
  progLoad,
  progTestRun,
} from '@ts-ebpf/syscall';
import { HOST_BYTE_ORDER } from '@ts-ebpf/uapi';
import { FIELDS, type Record } from './reference.js';

/** Program type per test context. */
export const PROG_TYPES = { xdp: BpfProgType.XDP, tc: BpfProgType.SCHED_CLS } as const;

/** Loads `insns` as `progType` and returns the fd; a refusal carries the verifier log. */
export function load(insns: readonly Instruction[], progType: number): number {
  const bytes = assemble(insns, { byteOrder: HOST_BYTE_ORDER });
  try {
    return progLoad({ progType, insns: bytes, license: 'GPL', logLevel: 1 });
  } catch (e) {
    throw new Error(`${(e as Error).message}\n${(e as { log?: string }).log ?? ''}`, { cause: e });
  }
}

/** Calls `fn` with the fd of a loaded program and closes it afterwards. */
export function withLoaded<T>(insns: readonly Instruction[], progType: number, fn: (fd: number) => T): T {
  const fd = load(insns, progType);
  try {
    return fn(fd);
  } finally {
    close(fd);
  }
}

/** A one-slot array map for the parse record; closes with `close()`. */
export class RecordMap {
  readonly fd = mapCreate({
    mapType: BpfMapType.ARRAY,
    keySize: 4,
    valueSize: FIELDS.length * 4,
    maxEntries: 1,
  });
  private readonly key = new Uint8Array(4);
  private readonly value = new Uint8Array(FIELDS.length * 4);

  /** Zeroes the record. */
  reset(): void {
    this.value.fill(0);
    mapUpdateElem(this.fd, this.key, this.value);
  }

  /** Reads the record. */
  read(): Record {
    mapLookupElem(this.fd, this.key, this.value);
    const view = new DataView(this.value.buffer);
    return Object.fromEntries(
      FIELDS.map((f, i) => [f, view.getUint32(i * 4, HOST_BYTE_ORDER === 'little')]),
    ) as Record;
  }

  close(): void {
    close(this.fd);
  }
}

/** Runs the program once on `frame` and returns the record it wrote. */
export function runParse(fd: number, map: RecordMap, frame: Uint8Array): Record {
  return runParseWithReturn(fd, map, frame).record;
}

/** Runs the program once on `frame`: the record it wrote and its return value. */
export function runParseWithReturn(
  fd: number,
  map: RecordMap,
  frame: Uint8Array,
): { record: Record; retval: number } {
  map.reset();
  const { retval } = progTestRun({ progFd: fd, dataIn: frame });
  return { record: map.read(), retval };
}
