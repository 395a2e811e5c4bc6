import { Readable } from 'node:stream';
import {
  BpfArgumentError,
  BpfAttachType,
  BpfSyscallError,
  close,
  fileRead,
  iterCreate,
  linkCreate,
} from '@ts-ebpf/syscall';
import { HOST_LITTLE_ENDIAN } from '@ts-ebpf/uapi';
import { IterReadError } from '../errors.js';
import { Link } from '../link.js';
import type { Program } from '../program.js';
import { requireAttachKind } from './kinds.js';

/** Options of {@link attachIter}: which objects a parameterized iterator walks. */
export interface IterAttachOptions {
  /** Map element iterators (`bpf_map_elem`, `bpf_sk_storage_map` …): the map's fd. */
  readonly mapFd?: number;
  /** Task iterators: only this thread … */
  readonly tid?: number;
  /** … or only the threads of this process. */
  readonly pid?: number;
  /** A raw `union bpf_iter_link_info`, for iterators not covered above. */
  readonly iterInfo?: Uint8Array;
}

const ITER_OPTIONS = ['mapFd', 'tid', 'pid', 'iterInfo'] as const;

/**
 * Encodes `union bpf_iter_link_info` for the options given (undefined when none).
 * @throws BpfArgumentError for more than one option (the kernel would read them all as one, or
 * refuse a thread and a process at once), or a fd, thread or process that is not a positive
 * u32 (the kernel reads 0 as not given: a task iterator would walk every task)
 */
export function encodeIterInfo(o: IterAttachOptions): Uint8Array | undefined {
  const given = ITER_OPTIONS.filter((k) => o[k] !== undefined);
  if (given.length > 1)
    throw new BpfArgumentError(
      'iterator attach options',
      `${given.join(' and ')} given: give one (a map for a map-element iterator, a thread or a process for a task iterator, or the raw iterInfo)`,
    );
  const key = given[0];
  if (key === undefined) return undefined;
  if (key === 'iterInfo') {
    if (!(o.iterInfo instanceof Uint8Array))
      throw new BpfArgumentError('iterInfo', 'is not a Uint8Array (union bpf_iter_link_info)');
    return o.iterInfo;
  }
  const value = o[key]!;
  if (!Number.isInteger(value) || value < 1 || value > 0xffffffff)
    throw new BpfArgumentError(
      `iterator option ${key}`,
      `${value} is not a positive u32 (the kernel reads 0 as not given)`,
    );
  const storage = new ArrayBuffer(16);
  const b = new Uint8Array(storage);
  // map.map_fd and task.tid share the first word; task.pid is the second
  new DataView(storage).setUint32(key === 'pid' ? 4 : 0, value, HOST_LITTLE_ENDIAN);
  return b;
}

/** The largest read(2) the kernel does at once (MAX_RW_COUNT on 4 KiB pages). */
const MAX_CHUNK = 0x7ffff000;

/** An iterator read's E2BIG or EAGAIN as what it means for iterators (bpf_seq_read); other errors as they are. */
function explainIterRead(e: unknown): unknown {
  if (!(e instanceof BpfSyscallError)) return e;
  if (e.code === 'E2BIG')
    return new IterReadError(
      'E2BIG',
      "the iterator program wrote more for one object than the kernel's buffer for a read holds (8 pages: 32 KiB with 4 KiB pages), so nothing of it can be read: write less per object",
      { cause: e },
    );
  if (e.code === 'EAGAIN')
    return new IterReadError(
      'EAGAIN',
      'the iterator program returned 1 (retry this object) with nothing read before it, or a million objects were visited in one read without output; read again to go on',
      { cause: e },
    );
  return e;
}

/** Reads an iterator fd chunk by chunk; the fd is closed at the end or on `close()`. */
export class IterReader implements Disposable, AsyncIterable<Uint8Array> {
  #fd: number;
  readonly #chunk: number;

  /**
   * Takes ownership of an iterator fd from BPF_ITER_CREATE, read `chunkSize` bytes at a time
   * (a positive integer: a read of 0 bytes would look like the end).
   * @throws BpfArgumentError for another chunk size (the fd is closed)
   */
  constructor(fd: number, chunkSize = 65536) {
    if (!Number.isInteger(chunkSize) || chunkSize < 1 || chunkSize > MAX_CHUNK) {
      close(fd);
      throw new BpfArgumentError(
        'iterator chunk size',
        `${chunkSize} is not a byte count in 1…${MAX_CHUNK} (a read of 0 bytes would look like the end)`,
      );
    }
    this.#fd = fd;
    this.#chunk = chunkSize;
  }

  /**
   * The next chunk, or undefined at the end (the fd is then closed).
   * @throws IterReadError for the kernel's E2BIG and EAGAIN, which mean something of their own
   * for iterators (the fd stays open: after EAGAIN the next read goes on)
   */
  readChunk(): Uint8Array | undefined {
    if (this.#fd < 0) return undefined;
    let data: Uint8Array;
    try {
      data = fileRead(this.#fd, this.#chunk);
    } catch (e) {
      throw explainIterRead(e);
    }
    if (data.byteLength > 0) return data;
    this.close();
    return undefined;
  }

  /** Everything the iterator produces; the fd is closed at the end, and when a read fails. */
  readAll(): Uint8Array {
    const parts: Uint8Array[] = [];
    try {
      for (let c = this.readChunk(); c; c = this.readChunk()) parts.push(c);
    } catch (e) {
      this.close();
      throw e;
    }
    const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
    let at = 0;
    for (const p of parts) {
      out.set(p, at);
      at += p.byteLength;
    }
    return out;
  }

  /** Everything as UTF-8 text (iterators written with bpf_seq_printf). */
  text(): string {
    return new TextDecoder().decode(this.readAll());
  }

  /** Chunks, yielding to the event loop between reads. */
  async *[Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    try {
      for (let c = this.readChunk(); c; c = this.readChunk()) {
        yield c;
        await new Promise((r) => setImmediate(r));
      }
    } finally {
      this.close();
    }
  }

  /** A Node Readable stream of the output (closing the fd when it ends or is destroyed). */
  toReadable(): Readable {
    const reader = this;
    return new Readable({
      read() {
        try {
          this.push(reader.readChunk() ?? null);
        } catch (e) {
          this.destroy(e as Error);
        }
      },
      destroy(err, cb) {
        reader.close();
        cb(err);
      },
    });
  }

  /** Closes the iterator fd; later calls do nothing. */
  close(): void {
    if (this.#fd < 0) return;
    const fd = this.#fd;
    this.#fd = -1;
    close(fd);
  }

  /** Same as {@link IterReader.close}. */
  [Symbol.dispose](): void {
    this.close();
  }
}

/** A BPF iterator link: each `open()` starts a fresh walk. */
export class IterLink extends Link {
  /** A new reader over one run of the iterator (BPF_ITER_CREATE). */
  open(chunkSize?: number): IterReader {
    return new IterReader(iterCreate(this.fd), chunkSize);
  }
}

/**
 * Attaches a tracing program loaded with expected attach type `TRACE_ITER` and
 * `attachTo: 'task'` (`bpf_iter_task`), `'bpf_map_elem'`, … as an iterator link.
 */
export function attachIter(program: Program, o: IterAttachOptions = {}): IterLink {
  const where = program.name ? `iterator '${program.name}'` : 'an iterator';
  requireAttachKind('iter', program, where);
  const iterInfo = encodeIterInfo(o);
  const fd = linkCreate({
    progFd: program.fd,
    targetFd: 0,
    attachType: BpfAttachType.TRACE_ITER,
    ...(iterInfo && { iterInfo }),
  });
  return new IterLink({ kind: 'iter', fd });
}
