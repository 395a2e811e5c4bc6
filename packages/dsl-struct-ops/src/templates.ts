import { isKernelObjectName } from '@ts-ebpf/btf';
import {
  add,
  atomic,
  call,
  exit,
  type Fragment,
  jeq,
  jge,
  ldMapFd,
  type MapRef,
  mark,
  mov,
  R0,
  R1,
  R2,
  R3,
  R7,
  R10,
  stx,
} from '@ts-ebpf/dsl';
import type { CallbackBody, StructOpsDeclaration } from './define.js';
import type { StructOpsType } from './describe.js';
import { StructOpsMemberError } from './errors.js';
import {
  aimdSsthresh,
  cwndIncrement,
  setCwnd,
  slowStartCheck,
  socketArg,
  TCP_SOCK,
  tcpKfunc,
} from './tcp.js';

const TP = R7;

/**
 * `name` of a congestion control: 1 to 15 letters, digits, `_` or `.` with its NUL in
 * `char name[16]` (the kernel copies it with `bpf_obj_name_cpy`, which refuses other characters).
 */
function ccName(name: string): string {
  if (!isKernelObjectName(name, 16))
    throw new StructOpsMemberError(
      'tcp_congestion_ops',
      'name',
      `'${name}' is not 1 to 15 letters, digits, '_' or '.' (the kernel refuses other characters)`,
    );
  return name;
}

/**
 * A minimal TCP congestion control in BPF instructions alone: AIMD `ssthresh`
 * (`max(cwnd / 2, 2)`), `undo_cwnd` keeping the current window, and a `cong_avoid` that grows
 * the window by one per ACK while in slow start and holds it after.
 */
export function minimalCc(name: string): StructOpsDeclaration {
  return {
    data: { name: ccName(name) },
    callbacks: {
      ssthresh: (cb) => [socketArg(cb, TP), aimdSsthresh(cb, TP), exit()],
      undo_cwnd: (cb) => [socketArg(cb, TP), cb.load(TCP_SOCK, 'snd_cwnd', R0, TP), exit()],
      cong_avoid: (cb) => [
        socketArg(cb, TP),
        slowStartCheck(cb, TP, 'hold'),
        cwndIncrement(cb, TP, 1),
        mark('hold'),
        cb.ret(),
      ],
    },
  };
}

/**
 * Reno, as the kernel's own (`tcp_reno_*`): `ssthresh` AIMD in instructions, `undo_cwnd`
 * `max(snd_cwnd, prior_cwnd)`, and `cong_avoid` doing nothing unless the window limits the
 * sender (`is_cwnd_limited`, or in slow start `snd_cwnd < 2 * max_packets_out`), then slow
 * start through the `tcp_slow_start` kfunc and additive increase through `tcp_cong_avoid_ai`.
 */
export function renoCc(name: string): StructOpsDeclaration {
  return {
    data: { name: ccName(name) },
    callbacks: {
      ssthresh: (cb) => [socketArg(cb, TP), aimdSsthresh(cb, TP), exit()],
      undo_cwnd: (cb) => [
        socketArg(cb, TP),
        cb.load(TCP_SOCK, 'snd_cwnd', R0, TP),
        cb.load(TCP_SOCK, 'prior_cwnd', R1, TP),
        jge(R0, R1, 'done'),
        mov(R0, R1),
        mark('done'),
        exit(),
      ],
      cong_avoid: (cb) => [
        socketArg(cb, TP),
        cb.arg('acked', R2),
        // tcp_is_cwnd_limited()
        cb.load(TCP_SOCK, 'is_cwnd_limited', R1, TP),
        jeq(R1, 1, 'limited'),
        slowStartCheck(cb, TP, 'out', R1, R3),
        cb.load(TCP_SOCK, 'max_packets_out', R3, TP),
        add(R3, R3),
        cb.load(TCP_SOCK, 'snd_cwnd', R1, TP),
        jge(R1, R3, 'out'),
        mark('limited'),
        slowStartCheck(cb, TP, 'avoid', R1, R3),
        // acked = tcp_slow_start(tp, acked); if (!acked) return;
        mov(R1, TP),
        tcpKfunc(cb, 'tcp_slow_start'),
        mov(R2, R0),
        jeq(R2, 0, 'out'),
        mark('avoid'),
        // tcp_cong_avoid_ai(tp, snd_cwnd, acked)
        mov(R3, R2),
        cb.load(TCP_SOCK, 'snd_cwnd', R2, TP),
        mov(R1, TP),
        tcpKfunc(cb, 'tcp_cong_avoid_ai'),
        mark('out'),
        cb.ret(),
      ],
    },
  };
}

/**
 * Reno through the kernel's own functions: each callback one kfunc call
 * (`tcp_reno_ssthresh`, `tcp_reno_undo_cwnd`, `tcp_reno_cong_avoid`).
 */
export function kernelRenoCc(name: string): StructOpsDeclaration {
  return {
    data: { name: ccName(name) },
    callbacks: {
      ssthresh: (cb) => [socketArg(cb), tcpKfunc(cb, 'tcp_reno_ssthresh'), exit()],
      undo_cwnd: (cb) => [socketArg(cb), tcpKfunc(cb, 'tcp_reno_undo_cwnd'), exit()],
      cong_avoid: (cb) => [
        socketArg(cb),
        cb.arg('ack', R2),
        cb.arg('acked', R3),
        tcpKfunc(cb, 'tcp_reno_cong_avoid'),
        cb.ret(),
      ],
    },
  };
}

/**
 * A fixed-window congestion control: `init` and every `cong_avoid` set `snd_cwnd` to `cwnd`
 * packets, `ssthresh` and `undo_cwnd` return it.
 */
export function fixedWindowCc(name: string, cwnd: number): StructOpsDeclaration {
  if (!Number.isInteger(cwnd) || cwnd < 1 || cwnd > 0x7fffffff)
    throw new StructOpsMemberError(
      'tcp_congestion_ops',
      'cong_avoid',
      `window ${cwnd} is not a packet count`,
    );
  const hold: CallbackBody = (cb) => [socketArg(cb, TP), setCwnd(cb, TP, cwnd), cb.ret()];
  return {
    data: { name: ccName(name) },
    callbacks: {
      init: hold,
      cong_avoid: hold,
      ssthresh: (cb) => cb.ret(cwnd),
      undo_cwnd: (cb) => cb.ret(cwnd),
    },
  };
}

/**
 * Wraps every callback of `base` so that it first adds one to `counts[member index]`, a
 * `u64` ARRAY map (at least as many entries as the ops struct has members), then runs as
 * before. Members in `alsoCount` that `base` lacks get a callback that only counts
 * (`init`, `set_state`, `cwnd_event`, `pkts_acked` …).
 * @throws StructOpsMemberError for a member of `alsoCount` that is not a callback of `ops`
 */
export function countingCc(
  ops: StructOpsType,
  base: StructOpsDeclaration,
  counts: MapRef,
  alsoCount: readonly string[] = [],
): StructOpsDeclaration {
  const count = (index: number): Fragment => [
    mov(R1, index),
    stx('w', R10, R1, -4),
    ldMapFd(R1, counts),
    mov(R2, R10),
    add(R2, -4),
    call('map_lookup_elem'),
    jeq(R0, 0, `count_skip_${index}`),
    mov(R1, 1),
    atomic('add', 'dw', R0, R1, 0),
    mark(`count_skip_${index}`),
  ];
  const callbacks: Record<string, CallbackBody> = {};
  const members = new Set([...Object.keys(base.callbacks), ...alsoCount]);
  for (const member of members) {
    const cbInfo = ops.callbacks.get(member);
    if (!cbInfo) throw new StructOpsMemberError(ops.type, member, 'is not a callback: it cannot be counted');
    const body = base.callbacks[member];
    callbacks[member] = (cb) => [
      count(cbInfo.index),
      body ? body(cb) : cb.callback.returns.size === 0 ? cb.ret() : [mov(R0, 0), exit()],
    ];
  }
  return { ...base, callbacks };
}

/** The TCP congestion control templates. */
export const TCP_CC_TEMPLATES = Object.freeze({
  minimal: minimalCc,
  reno: renoCc,
  kernelReno: kernelRenoCc,
  fixedWindow: fixedWindowCc,
  counting: countingCc,
});
