import { bind, close, getsockopt, MapFlag, MappedMemory, Prot, setsockopt, socket } from '@ts-ebpf/syscall';
import { AfXdp, SocketType, XdpBindFlag, XdpRingPgoff, XdpSockopt } from '@ts-ebpf/uapi';

// linux/if_xdp.h

const FRAMES = 16;
const FRAME_SIZE = 4096;

/** An AF_XDP socket on queue 0 of `ifindex`, its UMEM, and its fill and RX rings mapped. */
export class XdpSocket implements Disposable {
  readonly fd: number;
  readonly #umem: MappedMemory;
  readonly #fill: MappedMemory;
  readonly #rx: MappedMemory;
  // struct xdp_ring_offset { u64 producer, consumer, desc, flags } of the RX and fill rings
  readonly #rxOff: { producer: number; consumer: number; desc: number };
  #rxSeen = 0;

  constructor(ifindex: number) {
    this.fd = socket(AfXdp.AF_XDP, SocketType.RAW, 0);
    const maps: MappedMemory[] = [];
    try {
      this.#umem = MappedMemory.map({
        length: FRAMES * FRAME_SIZE,
        prot: Prot.READ | Prot.WRITE,
        flags: MapFlag.PRIVATE | MapFlag.ANONYMOUS,
      });
      maps.push(this.#umem);
      // struct xdp_umem_reg { u64 addr; u64 len; u32 chunk_size; u32 headroom; u32 flags; }
      const reg = new DataView(new ArrayBuffer(28));
      reg.setBigUint64(0, this.#umem.address, true);
      reg.setBigUint64(8, BigInt(FRAMES * FRAME_SIZE), true);
      reg.setUint32(16, FRAME_SIZE, true);
      setsockopt(this.fd, AfXdp.SOL_XDP, XdpSockopt.UMEM_REG, new Uint8Array(reg.buffer));
      const size = new Uint8Array(new Uint32Array([FRAMES]).buffer);
      for (const ring of [XdpSockopt.UMEM_FILL_RING, XdpSockopt.UMEM_COMPLETION_RING, XdpSockopt.RX_RING])
        setsockopt(this.fd, AfXdp.SOL_XDP, ring, size);
      // struct xdp_mmap_offsets { rx, tx, fr, cr } of struct xdp_ring_offset (4 x u64 each)
      const offsets = new Uint8Array(128);
      getsockopt(this.fd, AfXdp.SOL_XDP, XdpSockopt.MMAP_OFFSETS, offsets);
      const ov = new DataView(offsets.buffer);
      const ring = (i: number) => ({
        producer: Number(ov.getBigUint64(i * 32, true)),
        consumer: Number(ov.getBigUint64(i * 32 + 8, true)),
        desc: Number(ov.getBigUint64(i * 32 + 16, true)),
      });
      this.#rxOff = ring(0);
      const fillOff = ring(2);
      this.#rx = MappedMemory.map({
        length: this.#rxOff.desc + FRAMES * 16, // struct xdp_desc { u64 addr; u32 len; u32 options; }
        prot: Prot.READ | Prot.WRITE,
        fd: this.fd,
        offset: XdpRingPgoff.RX_RING,
      });
      maps.push(this.#rx);
      this.#fill = MappedMemory.map({
        length: fillOff.desc + FRAMES * 8, // u64 frame addresses
        prot: Prot.READ | Prot.WRITE,
        fd: this.fd,
        offset: XdpRingPgoff.FILL_RING,
      });
      maps.push(this.#fill);
      // hand every frame to the kernel
      const fill = new DataView(this.#fill.unsafeArrayBuffer());
      for (let i = 0; i < FRAMES; i++) fill.setBigUint64(fillOff.desc + i * 8, BigInt(i * FRAME_SIZE), true);
      fill.setUint32(fillOff.producer, FRAMES, true);
      // struct sockaddr_xdp { u16 family; u16 flags; u32 ifindex; u32 queue_id; u32 shared_umem_fd; }
      const addr = new DataView(new ArrayBuffer(16));
      addr.setUint16(0, AfXdp.AF_XDP, true);
      addr.setUint16(2, XdpBindFlag.COPY, true);
      addr.setUint32(4, ifindex, true);
      bind(this.fd, new Uint8Array(addr.buffer));
    } catch (e) {
      for (const m of maps) m.close();
      close(this.fd);
      throw e;
    }
  }

  /** Frames received since the last call: each frame's bytes (copied). */
  receive(): Uint8Array[] {
    const rx = new DataView(this.#rx.unsafeArrayBuffer());
    const produced = rx.getUint32(this.#rxOff.producer, true);
    const frames: Uint8Array[] = [];
    for (; this.#rxSeen !== produced; this.#rxSeen = (this.#rxSeen + 1) >>> 0) {
      const at = this.#rxOff.desc + (this.#rxSeen % FRAMES) * 16;
      const addr = Number(rx.getBigUint64(at, true));
      const len = rx.getUint32(at + 8, true);
      frames.push(this.#umem.bytes.slice(addr, addr + len));
    }
    rx.setUint32(this.#rxOff.consumer, this.#rxSeen, true);
    return frames;
  }

  [Symbol.dispose](): void {
    this.#fill.close();
    this.#rx.close();
    this.#umem.close();
    close(this.fd);
  }
}
