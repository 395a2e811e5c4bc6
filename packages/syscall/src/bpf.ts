import { BpfCmd } from '@ts-ebpf/uapi';
import { type Attr, keepAlive } from './attr.js';
import { pointerOf, sysBpfCall, sysBpfTry } from './ffi.js';
import { checkBytes, checkInt } from './validate.js';

const COMMAND_NAMES: string[] = [];
for (const [name, value] of Object.entries(BpfCmd)) COMMAND_NAMES[value] = `BPF_${name}`;

/** The `BPF_*` name of a bpf() command number, for messages. */
export function bpfCommandName(cmd: number): string {
  return COMMAND_NAMES[cmd] ?? `bpf command ${cmd}`;
}

/**
 * The raw `bpf(cmd, attr, size)` system call. `size` defaults to the whole
 * buffer. Returns the kernel's non-negative result (often a new fd).
 * @throws BpfSyscallError (or a subclass) carrying errno and a hint.
 */
export function bpf(cmd: number, attr: Uint8Array, size: number = attr.byteLength): number {
  checkInt(cmd, 'cmd', 0, 0xffff);
  checkBytes(attr, 'attr');
  checkInt(size, 'size', 0, attr.byteLength);
  const result = sysBpfCall(cmd, pointerOf(attr), size, bpfCommandName(cmd));
  keepAlive(attr);
  return result;
}

/** `bpf()` without validation, for this package's wrappers: throws with the command name. */
export function bpfCall(cmd: number, attr: Attr, size: number): number {
  return sysBpfCall(cmd, attr.address, size, COMMAND_NAMES[cmd] ?? `bpf command ${cmd}`);
}

/** `bpf()` returning `-errno` instead of throwing: for probes and expected failures. */
export function bpfTry(cmd: number, attr: Attr, size: number): number {
  return sysBpfTry(cmd, attr.address, size);
}
