import {
  BpfArgumentError,
  dupFd,
  MappedMemory,
  mapDeleteElem,
  mapUpdateElem,
  OwnedFd,
  onlineCpus,
  PerfSample,
  PerfSwConfig,
  PerfType,
  Prot,
  pageSize,
  perfEventOpen,
} from '@ts-ebpf/syscall';
import { describeValue, HOST_LITTLE_ENDIAN } from '@ts-ebpf/uapi';
import type { PerfRing } from './perf-events.js';

// perf_event_mmap_page: data_head @1024 and data_tail @1032, read and written as u32 halves.
const HEAD = 1024;

/** One CPU's BPF_OUTPUT perf event and its mapping. */
export interface CpuRing extends PerfRing {
  readonly fd: OwnedFd;
  readonly mem: MappedMemory;
}

/** How the per-CPU perf events of a reader are opened. */
export interface PerfRingOptions {
  /** Data pages per CPU (checked: a positive integer power of two). */
  readonly pages: number;
  /** CPUs to open (checked: online CPUs), default every online CPU. */
  readonly cpus: readonly number[] | undefined;
  /** Wake up after this many bytes instead of after every event. */
  readonly watermark?: number;
  /**
   * An overwritable ring: written backward (`write_backward`) and mapped read-only, so that the
   * kernel overwrites the oldest samples (it reads no `data_tail`).
   */
  readonly overwritable?: boolean;
}

/**
 * The data bytes of each CPU's ring for `pages` pages. @throws BpfArgumentError unless `pages` is a
 * positive integer power of two.
 */
export function perfDataSize(pages: number, name: string): number {
  // 2 ** round(log2) is exact for every power of two, and differs from anything else
  if (!Number.isInteger(pages) || pages < 1 || 2 ** Math.round(Math.log2(pages)) !== pages)
    throw new BpfArgumentError(
      'pages',
      `${describeValue(pages)} for the ${name}: the data pages per CPU must be a positive integer power of two (1, 2, 4, …)`,
    );
  return pages * pageSize();
}

/**
 * Opens a BPF_OUTPUT perf event per CPU, maps its ring and stores it in the perf event array
 * `mapFd` at key = CPU, pushing each to `rings` as it is opened (so that a caller can release what
 * was opened when a later CPU fails). @throws BpfArgumentError for a CPU that is not online or
 * is given twice.
 */
export function openPerfRings(mapFd: number, name: string, o: PerfRingOptions, rings: CpuRing[]): void {
  const dataSize = perfDataSize(o.pages, name);
  const online = onlineCpus();
  const cpus = o.cpus ?? online;
  cpus.forEach((cpu, i) => {
    if (!online.includes(cpu))
      throw new BpfArgumentError(
        `cpus[${i}]`,
        `${describeValue(cpu)} for the ${name}: not an online CPU of this machine (online: ${online.join(', ')})`,
      );
    // A second event stored at the same key would replace the first's in the map: the first ring
    // would get nothing.
    if (cpus.indexOf(cpu) !== i)
      throw new BpfArgumentError(
        `cpus[${i}]`,
        `${describeValue(cpu)} for the ${name}: CPU ${cpu} is given twice (cpus[${cpus.indexOf(cpu)}] too); each CPU has one ring`,
      );
  });
  for (const cpu of cpus) rings.push(openCpuRing(mapFd, cpu, dataSize, o));
}

function openCpuRing(mapFd: number, cpu: number, dataSize: number, o: PerfRingOptions): CpuRing {
  const fd = new OwnedFd(
    perfEventOpen(
      {
        type: PerfType.SOFTWARE,
        config: PerfSwConfig.BPF_OUTPUT,
        sampleType: PerfSample.RAW,
        samplePeriod: 1,
        wakeupEvents: o.watermark ?? 1,
        watermark: o.watermark !== undefined,
        writeBackward: o.overwritable === true,
      },
      -1,
      cpu,
    ),
    'perf event',
  );
  let mem: MappedMemory;
  try {
    // A writable mapping tells the kernel that the reader moves data_tail; a read-only one makes
    // the ring overwritable (kernel/events/core.c, perf_mmap: RING_BUFFER_WRITABLE).
    mem = MappedMemory.map({
      length: pageSize() + dataSize,
      prot: o.overwritable === true ? Prot.READ : Prot.READ | Prot.WRITE,
      fd: fd.fd,
    });
  } catch (e) {
    fd.close();
    throw e;
  }
  // An overwritable ring's mapping is read-only: only ever read through these (see unsafeArrayBuffer).
  const bytes = o.overwritable === true ? new Uint8Array(mem.unsafeArrayBuffer()) : mem.bytes;
  const ring: CpuRing = {
    cpu,
    fd,
    mem,
    bytes,
    view: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength),
    meta: new Uint32Array(bytes.buffer, bytes.byteOffset + HEAD, 4),
    tail: 0,
    head: 0,
  };
  try {
    // u32 key and value in the host's order (typed arrays are)
    const key = new Uint8Array(new Uint32Array([cpu]).buffer);
    mapUpdateElem(mapFd, key, new Uint8Array(new Uint32Array([fd.fd]).buffer));
  } catch (e) {
    mem.close();
    fd.close();
    throw e;
  }
  return ring;
}

/**
 * A reader's own duplicate of the perf event array's fd `fd`, through which its events are
 * stored and removed: the caller may close the map first, and the number of its fd may name
 * another map by the time the reader closes.
 */
export function holdPerfEventArray(fd: number): OwnedFd {
  return new OwnedFd(dupFd(fd), 'perf event array fd');
}

/**
 * Removes each ring's event from the perf event array `map` (see {@link holdPerfEventArray}),
 * unmaps and closes it, empties `rings`, then closes `map`.
 */
export function closePerfRings(map: OwnedFd, rings: CpuRing[]): void {
  const key = new Uint8Array(4);
  try {
    for (const r of rings.splice(0)) {
      new DataView(key.buffer).setUint32(0, r.cpu, HOST_LITTLE_ENDIAN);
      try {
        mapDeleteElem(map.fd, key);
      } catch {
        // an entry gone already (another reader's event stored at that CPU since)
      }
      r.mem.close();
      r.fd.close();
    }
  } finally {
    map.close();
  }
}
