/**
 * Tutorial 5, events through a ring buffer: a tracepoint program sends one event per
 * getpid() call of this process's main thread into a BPF ring buffer; user space reads them with
 * `for await`, decoded by a struct codec. docs/tutorials/05-ring-buffer.md walks through it.
 *
 *   npx tsx --conditions=@ts-ebpf/source examples/tutorial-ringbuf.ts
 */
import { bpf } from '@ts-ebpf/dsl';
import { RingBuffer, RingBufMap, struct, u32, u64 } from '@ts-ebpf/maps';
import { attachTracepoint, BpfProgType, Program } from '@ts-ebpf/programs';
import { ensureTracefs, getpid } from '@ts-ebpf/syscall';

// The event, as the program lays it out on its stack: struct { u32 tgid; u32 tid; u64 ns; }.
const Event = struct({ tgid: u32, tid: u32, ns: u64 });

// 1. The ring buffer map: its size is a power of two and a multiple of the page size.
using events = RingBufMap.create({ maxEntries: 64 * 1024, name: 'events' });

// 2. The producer: fills the event on the stack, then bpf_ringbuf_output copies it in.
using producer = Program.load({
  type: BpfProgType.TRACEPOINT,
  name: 'getpid_events',
  instructions: bpf`
    call bpf_get_current_pid_tgid
    w2 = w0                            // tid (the low half; a 32-bit move clears the high)
    if r2 != ${process.pid} goto out   // only the main thread: its id is the process id
    r1 = r0
    r1 >>= 32
    *(u32 *)(r10 - 16) = r1            // tgid
    *(u32 *)(r10 - 12) = r0            // tid (the low half)
    call bpf_ktime_get_ns
    *(u64 *)(r10 - 8) = r0             // ns
    r1 = ${events}
    r2 = r10
    r2 += -16
    r3 = 16                            // Event.size
    r4 = 0
    call bpf_ringbuf_output
  out:
    r0 = 0
    exit`,
});

// 3. The reader: maps the ring into this process; records are copied out as Uint8Arrays.
using reader = RingBuffer.open(events);
ensureTracefs();
const link = attachTracepoint(producer, 'syscalls', 'sys_enter_getpid');
for (let i = 0; i < 3; i++) getpid();
// Detached before reading: this thread calls getpid() again later (V8's garbage collector does).
link.close();

// 4. for await over events(Event): each step waits until a record arrives, without blocking the
//    event loop, and hands it over decoded by the codec (the record stays in the ring until then).
let previous = 0n;
let received = 0;
for await (const e of reader.events(Event)) {
  const order = previous === 0n || e.ns > previous ? 'in order' : 'OUT OF ORDER';
  previous = e.ns;
  console.log(`event ${++received}: tgid ${e.tgid}, tid ${e.tid}, ${order}`);
  if (received === 3) break; // leaving the loop ends the iteration; the reader stays open
}
console.log(`reader stats: ${reader.stats.records} records, ${reader.stats.bytes} bytes`);
console.log('pending after the loop:', reader.pending);
