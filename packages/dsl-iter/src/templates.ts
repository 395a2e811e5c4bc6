import type { Btf } from '@ts-ebpf/btf';
import {
  be,
  call,
  exit,
  type Fragment,
  freshLabel,
  ldx,
  mark,
  mov,
  type PluginProgram,
  R0,
  R1,
  R2,
  R3,
  R7,
  R8,
  R9,
  R10,
  stx,
} from '@ts-ebpf/dsl';
import { iter } from './plugin.js';
import { record } from './record.js';
import { seqPrintf, seqWrite } from './seq.js';

/** A built iterator program with the layout of the records it writes. */
export interface RecordIterator<L> {
  /** What `loadIterator` / `Program.load` takes. */
  readonly program: PluginProgram;
  /** The layout of each record (read with `typedRecords` or `BpfIterator.records`). */
  readonly layout: L;
}

/** The record of {@link taskDump}: `struct task_struct` pid, tgid, parent's tgid and comm. */
export const TASK_RECORD = record({ pid: 'u32', tgid: 'u32', ppid: 'u32', uid: 'u32', comm: { string: 16 } });

/**
 * A ps-like task dump (`iter/task`): one {@link TASK_RECORD} per thread — `pid` (the thread
 * id), `tgid` (the process id), `ppid` (`real_parent->tgid`), `uid` (`cred->uid`) and `comm`.
 */
export function taskDump(btf: Btf): RecordIterator<typeof TASK_RECORD> {
  const s = iter(btf, 'task');
  const L = TASK_RECORD;
  const at = -L.size;
  const out = freshLabel('out');
  const body: Fragment = [
    s.loadChecked('task', R7, out),
    s.read(R0, R7, 'task', 'pid'),
    L.store('pid', R0, at),
    s.read(R0, R7, 'task', 'tgid'),
    L.store('tgid', R0, at),
    s.read(R0, R7, 'task', 'real_parent->tgid'),
    L.store('ppid', R0, at),
    s.read(R0, R7, 'task', 'cred->uid.val'),
    L.store('uid', R0, at),
    s.copy(at + L.offsetOf('comm'), R7, 'task', 'comm').instructions,
    seqWrite(s, at, L.size),
    mark(out),
    mov(R0, 0),
    exit(),
  ];
  return { program: s.build(body), layout: L };
}

/**
 * An open-files dump (`iter/task_file`): one line per open file,
 * `<tgid> <fd> <inode number> <file mode octal>`; threads sharing a file table are
 * reported once (the kernel skips them).
 */
export function openFilesDump(btf: Btf): PluginProgram {
  const s = iter(btf, 'task_file');
  const out = freshLabel('out');
  return s.build([
    s.loadChecked('task', R7, out),
    s.loadChecked('file', R8, out),
    s.read(R9, R7, 'task', 'tgid'),
    s.load('fd', R0),
    mov(R7, R0),
    s.read(R8, R8, 'file', 'f_inode->i_ino'),
    seqPrintf(s, '%u %u %lu\n', [R9, R7, R8]),
    mark(out),
    mov(R0, 0),
    exit(),
  ]);
}

/**
 * A map-entries dump (`iter/bpf_map_elem`): each entry of the map given as `{ map: fd }` as
 * its key bytes then its value bytes (`keySize` + `valueSize` per entry, bpf_seq_write of the
 * kernel's buffers).
 */
export function mapEntriesDump(btf: Btf, keySize: number, valueSize: number): PluginProgram {
  const s = iter(btf, 'bpf_map_elem');
  const out = freshLabel('out');
  return s.build([
    s.loadChecked('key', R7, out),
    s.loadChecked('value', R8, out),
    s.seq(R1),
    mov(R2, R7),
    mov(R3, keySize),
    call('seq_write'),
    s.seq(R1),
    mov(R2, R8),
    mov(R3, valueSize),
    call('seq_write'),
    mark(out),
    mov(R0, 0),
    exit(),
  ]);
}

/** TCP states by number (`include/net/tcp_states.h`), as {@link tcpSocketTable} prints them. */
export const TCP_STATES = Object.freeze([
  'UNKNOWN',
  'ESTABLISHED',
  'SYN_SENT',
  'SYN_RECV',
  'FIN_WAIT1',
  'FIN_WAIT2',
  'TIME_WAIT',
  'CLOSE',
  'CLOSE_WAIT',
  'LAST_ACK',
  'LISTEN',
  'CLOSING',
  'NEW_SYN_RECV',
  'BOUND_INACTIVE',
] as const);

/**
 * A TCP socket table (`iter/tcp`, IPv4 and IPv6): one line per socket,
 * `<family> <state> <local port> <remote port> <uid>` — state as the kernel's number
 * ({@link TCP_STATES}), ports in host order.
 */
export function tcpSocketTable(btf: Btf): PluginProgram {
  const s = iter(btf, 'tcp');
  const out = freshLabel('out');
  return s.build([
    s.loadChecked('sk_common', R7, out),
    s.read(R8, R7, 'sk_common', 'skc_family'),
    s.read(R9, R7, 'sk_common', 'skc_state'),
    s.read(R0, R7, 'sk_common', 'skc_num'),
    stx('dw', R10, R0, -8),
    s.read(R0, R7, 'sk_common', 'skc_dport'),
    be(R0, 16),
    stx('dw', R10, R0, -16),
    s.load('uid', R0),
    mov(R7, R0),
    ldx('dw', R1, R10, -8),
    ldx('dw', R2, R10, -16),
    seqPrintf(s, '%u %u %u %u %u\n', [R8, R9, R1, R2, R7], { at: -16 - 56 }),
    mark(out),
    mov(R0, 0),
    exit(),
  ]);
}
