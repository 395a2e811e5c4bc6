import { closeSync, openSync, readSync, statfsSync, statSync } from 'node:fs';
import { BpfArgumentError, BpfSyscallError } from '@ts-ebpf/syscall';
import { ElfSymbols } from '../elf-symbols.js';
import { AttachError } from '../errors.js';
import { progTypeLabel } from '../names.js';
import type { Program } from '../program.js';
import { cgroup2MountHint } from './cgroup2-mounts.js';

/** How a program is named in messages: `program 'xdp_pass'`, or `the program`. */
export function describeProgram(program: { readonly name?: string | undefined }): string {
  return program.name ? `program '${program.name}'` : 'the program';
}

/**
 * The attach type to use: the one given, else the program's expected attach type.
 * @throws BpfArgumentError naming the program and the attach point when neither is known
 */
export function requireAttachType(
  program: Program,
  target: string,
  attachType: number | undefined,
  fallback?: number,
): number {
  const t = attachType ?? program.expectedAttachType ?? fallback;
  if (t === undefined)
    throw new BpfArgumentError(
      'attachType',
      `attaching ${describeProgram(program)} (${progTypeLabel(program.type)}) to ${target} needs an attach type: pass attachType, or load the program with expectedAttachType`,
    );
  return t;
}

/**
 * Refuses, before the kernel is asked, an option that is none of its choices (an untyped caller's
 * typo would otherwise pick a default: another mode, the other direction).
 * @throws BpfArgumentError naming the option, the value and the choices
 */
export function requireChoice<T extends string>(value: T, option: string, choices: readonly T[]): T {
  if (choices.includes(value)) return value;
  throw new BpfArgumentError(
    option,
    `${JSON.stringify(value) ?? String(value)} is not one of ${choices.map((c) => `'${c}'`).join(', ')}`,
  );
}

const CGROUP2_SUPER_MAGIC = 0x63677270;

/**
 * Checks that `path` is a cgroup v2 directory before the kernel is given it.
 * @throws AttachError naming the path when it is missing, not a directory or not on cgroup2
 */
export function requireCgroupDir(path: string): void {
  const target = `cgroup '${path}'`;
  let isDir: boolean;
  try {
    isDir = statSync(path).isDirectory();
  } catch (e) {
    throw new AttachError(target, 'the path does not exist', { cause: e });
  }
  if (!isDir)
    throw new AttachError(target, 'the path is not a directory (a cgroup is a directory on cgroup2)');
  const type = statfsSync(path).type;
  if (type !== CGROUP2_SUPER_MAGIC)
    throw new AttachError(
      target,
      `the directory is not on a cgroup v2 file system (file system magic 0x${type.toString(16)}); ${cgroup2MountHint()}`,
    );
}

/**
 * Checks that the file a probe names exists and is a regular file.
 * @throws AttachError naming the path
 */
export function requireFile(path: string, target: string): void {
  let regular: boolean;
  try {
    regular = statSync(path).isFile();
  } catch (e) {
    throw new AttachError(target, `no such file '${path}'`, { cause: e });
  }
  if (!regular) throw new AttachError(target, `'${path}' is not a regular file (an executable or a library)`);
}

/**
 * Checks that a probe's file offset lies inside the file (the kernel refuses others with a bare
 * EINVAL) and, in an ELF file, inside an executable segment (the kernel takes any other offset
 * and the probe never fires).
 * @param elf - the file's parsed ELF, when the caller has it already
 * @throws AttachError naming the path and the offset
 */
export function requireProbeOffset(path: string, offset: bigint, target: string, elf?: ElfSymbols): void {
  const size = statSync(path, { bigint: true }).size;
  const at = offset < 0n ? `offset -0x${(-offset).toString(16)}` : `offset 0x${offset.toString(16)}`;
  if (offset < 0n || offset >= size)
    throw new AttachError(target, `${at} is outside '${path}' (${size} bytes)`);
  const symbols = elf ?? (isElfFile(path) ? ElfSymbols.open(path) : undefined);
  if (symbols && !symbols.isExecutableOffset(offset))
    throw new AttachError(
      target,
      `${at} of '${path}' is not in an executable segment (no PT_LOAD with PF_X holds it): a probe there never runs; give a code offset (the symbol's file offset, as uprobeOffset() computes it)`,
    );
}

/**
 * Checks a uprobe's reference counter (USDT semaphore) offset, `option` in messages, before the
 * kernel is asked: a non-negative integer (0: none); otherwise even (kernel/events/uprobes.c
 * refuses an offset that is not 2-byte aligned with EINVAL), inside the file and, in an ELF file,
 * in the file-backed part of a writable segment (the kernel counts the semaphore only in a
 * private writable mapping of the file; elsewhere it is never counted).
 * @param elf - the file's parsed ELF, when the caller has it already
 * @throws BpfArgumentError for a value that is no offset; AttachError naming the path and the offset
 */
export function requireRefCtrOffset(
  path: string,
  value: number | bigint,
  option: string,
  target: string,
  elf?: ElfSymbols,
): bigint {
  if (typeof value === 'number' ? !Number.isSafeInteger(value) || value < 0 : value < 0n)
    throw new BpfArgumentError(option, `${value} is not a file offset (a non-negative integer; 0 for none)`);
  const offset = BigInt(value);
  if (offset === 0n) return offset;
  const at = `${option} 0x${offset.toString(16)}`;
  if (offset % 2n !== 0n)
    throw new AttachError(target, `${at} is odd: a reference counter is a 16-bit value at an even offset`);
  const size = statSync(path, { bigint: true }).size;
  if (offset + 2n > size) throw new AttachError(target, `${at} is outside '${path}' (${size} bytes)`);
  const symbols = elf ?? (isElfFile(path) ? ElfSymbols.open(path) : undefined);
  if (symbols && !symbols.isWritableOffset(offset))
    throw new AttachError(
      target,
      `${at} of '${path}' is not in the file part of a writable segment (no PT_LOAD with PF_W holds it): the kernel never counts a semaphore there; give the semaphore variable's file offset (ElfSymbols.symbolOffset of it)`,
    );
  return offset;
}

/** True when the file starts with the ELF magic (`\x7fELF`). */
function isElfFile(path: string): boolean {
  const head = Buffer.alloc(4);
  const fd = openSync(path, 'r');
  try {
    readSync(fd, head, 0, 4, 0);
  } finally {
    closeSync(fd);
  }
  return head.equals(ELF_MAGIC);
}

const ELF_MAGIC = Buffer.from([0x7f, 0x45, 0x4c, 0x46]);

/** True for a syscall error with one of these errno names. */
export function isErrno(e: unknown, ...codes: string[]): e is BpfSyscallError {
  return e instanceof BpfSyscallError && codes.includes(e.code);
}
