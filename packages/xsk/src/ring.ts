import { AF_XDP_LAYOUTS, type MappedMemory, type XdpRingOffsets } from '@ts-ebpf/syscall';
import { HOST_LITTLE_ENDIAN, XdpRingFlag } from '@ts-ebpf/uapi';

const DESC = AF_XDP_LAYOUTS.xdp_desc;

/**
 * One mapped AF_XDP ring: a power-of-two array of entries with a producer and a consumer index
 * (u32, free-running) and a flags word. The producer and consumer words are read and written
 * with `Atomics` (acquire and release order on every CPU), entries through a DataView; the
 * indexes this side owns are cached so that each batch touches the shared words once.
 * @internal
 */
export class XskRing {
  readonly size: number;
  readonly #mask: number;
  readonly #words: Uint32Array;
  readonly #producer: number;
  readonly #consumer: number;
  readonly #flags: number;
  readonly #entries: DataView;
  readonly #entrySize: number;

  constructor(memory: MappedMemory, offsets: XdpRingOffsets, size: number, entrySize: number) {
    this.size = size;
    this.#mask = size - 1;
    const buffer = memory.unsafeArrayBuffer();
    this.#words = new Uint32Array(buffer, 0, Math.floor(offsets.desc / 4));
    this.#producer = offsets.producer / 4;
    this.#consumer = offsets.consumer / 4;
    this.#flags = offsets.flags / 4;
    this.#entries = new DataView(buffer, offsets.desc, size * entrySize);
    this.#entrySize = entrySize;
  }

  /** The producer index (acquire). */
  get producer(): number {
    return Atomics.load(this.#words, this.#producer);
  }

  /** The consumer index (acquire). */
  get consumer(): number {
    return Atomics.load(this.#words, this.#consumer);
  }

  /** Publishes a new producer index (release). */
  publish(producer: number): void {
    Atomics.store(this.#words, this.#producer, producer >>> 0);
  }

  /** Publishes a new consumer index (release). */
  release(consumer: number): void {
    Atomics.store(this.#words, this.#consumer, consumer >>> 0);
  }

  /** True when the kernel asks to be woken for this ring (`XDP_RING_NEED_WAKEUP`). */
  get needsWakeup(): boolean {
    return (Atomics.load(this.#words, this.#flags) & XdpRingFlag.NEED_WAKEUP) !== 0;
  }

  /** Byte offset in the entry view of entry `index` (any free-running index). */
  #at(index: number): number {
    return (index & this.#mask) * this.#entrySize;
  }

  /** Reads the u64 frame address of entry `index` (fill, completion). */
  address(index: number): number {
    return Number(this.#entries.getBigUint64(this.#at(index), HOST_LITTLE_ENDIAN));
  }

  /** Writes the u64 frame address of entry `index` (fill, completion). */
  setAddress(index: number, address: number): void {
    this.#entries.setBigUint64(this.#at(index), BigInt(address), HOST_LITTLE_ENDIAN);
  }

  /** Reads descriptor `index` (RX, TX): address, length, options. */
  descriptor(index: number): { addr: number; len: number; options: number } {
    const at = this.#at(index);
    return {
      addr: Number(this.#entries.getBigUint64(at + DESC.addr, HOST_LITTLE_ENDIAN)),
      len: this.#entries.getUint32(at + DESC.len, HOST_LITTLE_ENDIAN),
      options: this.#entries.getUint32(at + DESC.options, HOST_LITTLE_ENDIAN),
    };
  }

  /** Writes descriptor `index` (TX). */
  setDescriptor(index: number, addr: number, len: number, options: number): void {
    const at = this.#at(index);
    this.#entries.setBigUint64(at + DESC.addr, BigInt(addr), HOST_LITTLE_ENDIAN);
    this.#entries.setUint32(at + DESC.len, len, HOST_LITTLE_ENDIAN);
    this.#entries.setUint32(at + DESC.options, options, HOST_LITTLE_ENDIAN);
  }
}
