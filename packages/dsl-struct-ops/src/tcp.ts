import type { Btf } from '@ts-ebpf/btf';
import {
  add,
  type Fragment,
  fragment,
  type Instruction,
  jge,
  type LabelScope,
  mark,
  mov,
  R0,
  R1,
  R2,
  R3,
  type Register,
  rsh,
} from '@ts-ebpf/dsl';
import type { CallbackBuilder } from './callback.js';
import { KernelFieldError } from './errors.js';
import { callKernel } from './kfunc.js';

/** The BTF struct the socket argument of a TCP congestion control callback is, to the verifier. */
export const TCP_SOCK = 'tcp_sock';

/**
 * The kfuncs a BPF TCP congestion control may call (`bpf_tcp_ca_check_kfunc_ids`); the
 * `where present` ones are absent from some kernels: check with `hasKfunc`.
 */
export const TCP_CC_KFUNCS = Object.freeze([
  'tcp_reno_ssthresh',
  'tcp_reno_cong_avoid',
  'tcp_reno_undo_cwnd',
  'tcp_slow_start',
  'tcp_cong_avoid_ai',
] as const);

/** A kfunc of {@link TCP_CC_KFUNCS}. */
export type TcpCcKfunc = (typeof TCP_CC_KFUNCS)[number];

function enumValues(btf: Btf, name: string): Readonly<Record<string, number>> {
  const t = btf.find(name, 'enum');
  if (!t) throw new KernelFieldError(`enum ${name}`, 'no such enum in the BTF');
  return Object.freeze(Object.fromEntries(t.values.map((v) => [v.name, v.value])));
}

/** TCP congestion control constants, read from kernel BTF enums. */
export interface TcpCaConstants {
  /** `enum tcp_ca_state`: `TCP_CA_Open`, `TCP_CA_Disorder`, `TCP_CA_CWR`, `TCP_CA_Recovery`, `TCP_CA_Loss`. */
  readonly state: Readonly<Record<string, number>>;
  /** `enum tcp_ca_event`: `CA_EVENT_TX_START`, `CA_EVENT_CWND_RESTART`, … (the `cwnd_event` argument). */
  readonly event: Readonly<Record<string, number>>;
  /** `enum tcp_ca_ack_event_flags`: `CA_ACK_SLOWPATH`, `CA_ACK_WIN_UPDATE`, `CA_ACK_ECE` (`in_ack_event`). */
  readonly ackFlags: Readonly<Record<string, number>>;
}

/**
 * The ca-state, ca-event and ack-flag constants of the kernel `btf` describes (one source:
 * the kernel's own enums).
 * @throws KernelFieldError naming an enum the BTF lacks
 */
export function tcpCaConstants(btf: Btf): TcpCaConstants {
  return Object.freeze({
    state: enumValues(btf, 'tcp_ca_state'),
    event: enumValues(btf, 'tcp_ca_event'),
    ackFlags: enumValues(btf, 'tcp_ca_ack_event_flags'),
  });
}

/**
 * Calls a TCP congestion control kfunc: arguments in R1–R5 first (`tcp_reno_ssthresh(sk)`,
 * `tcp_reno_cong_avoid(sk, ack, acked)`, `tcp_reno_undo_cwnd(sk)`, `tcp_slow_start(tp, acked)`,
 * `tcp_cong_avoid_ai(tp, w, acked)`), result in R0.
 * @throws KfuncError when the kernel BTF lacks it
 */
export function tcpKfunc(cb: CallbackBuilder, name: TcpCcKfunc): Instruction {
  return callKernel(cb.ops.btf, name);
}

/**
 * AIMD multiplicative decrease, Reno's `ssthresh`: `R0 = max(snd_cwnd >> 1, 2)` for the
 * `tcp_sock` in `tp`.
 */
export const aimdSsthresh: (cb: CallbackBuilder, tp: Register) => Fragment = fragment(
  (label: LabelScope, cb: CallbackBuilder, tp: Register) => [
    ...cb.load(TCP_SOCK, 'snd_cwnd', R0, tp),
    rsh(R0, 1),
    jge(R0, 2, label('done')),
    mov(R0, 2),
    mark(label('done')),
  ],
);

/**
 * The slow-start check (`tcp_in_slow_start`): jumps to `notInSlowStart` unless
 * `snd_cwnd < snd_ssthresh`. Clobbers `scratch` and `scratch2`.
 */
export function slowStartCheck(
  cb: CallbackBuilder,
  tp: Register,
  notInSlowStart: string,
  scratch: Register = R2,
  scratch2: Register = R3,
): Instruction[] {
  return [
    ...cb.load(TCP_SOCK, 'snd_cwnd', scratch, tp),
    ...cb.load(TCP_SOCK, 'snd_ssthresh', scratch2, tp),
    jge(scratch, scratch2, notInSlowStart),
  ];
}

/** `snd_cwnd += by` (a number or a register) on the `tcp_sock` in `tp`. Clobbers `scratch`. */
export function cwndIncrement(
  cb: CallbackBuilder,
  tp: Register,
  by: number | Register,
  scratch: Register = R2,
): Instruction[] {
  return [
    ...cb.load(TCP_SOCK, 'snd_cwnd', scratch, tp),
    add(scratch, by),
    cb.store(TCP_SOCK, 'snd_cwnd', tp, scratch),
  ];
}

/** `snd_cwnd = value` on the `tcp_sock` in `tp`. Clobbers `scratch`. */
export function setCwnd(
  cb: CallbackBuilder,
  tp: Register,
  value: number,
  scratch: Register = R2,
): Instruction[] {
  return [mov(scratch, value), cb.store(TCP_SOCK, 'snd_cwnd', tp, scratch)];
}

/** Loads the socket argument (`sk`, argument 0) into `dst` (default R1, the first kfunc argument). */
export function socketArg(cb: CallbackBuilder, dst: Register = R1): Instruction[] {
  return cb.arg(0, dst);
}
