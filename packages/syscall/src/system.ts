import { existsSync, readFileSync } from 'node:fs';
import { HOST_LITTLE_ENDIAN } from '@ts-ebpf/uapi';
import { BpfArgumentError } from './errors.js';
import { sysCapget, sysUname } from './ffi/process.js';

/** The running kernel's version. */
export interface KernelVersion {
  major: number;
  minor: number;
  patch: number;
  /** The full release string (`6.18.44-…`). */
  release: string;
  /** KERNEL_VERSION(major, minor, patch) as the kernel encodes it (patch capped at 255). */
  code: number;
}

let version: KernelVersion | undefined;

/** Parses a release string such as `6.18.44-fc-v782`. */
export function parseKernelRelease(release: string): KernelVersion {
  const m = /^(\d+)\.(\d+)(?:\.(\d+))?/.exec(release);
  if (!m) throw new BpfArgumentError('release', `cannot parse kernel release ${JSON.stringify(release)}`);
  const [major, minor, patch] = [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)];
  return { major, minor, patch, release, code: (major << 16) + (minor << 8) + Math.min(patch, 255) };
}

/** The running kernel's version, from uname(2). Cached. */
export function kernelVersion(): KernelVersion {
  if (!version) {
    const uts = new Uint8Array(6 * 65);
    sysUname(uts);
    const field = uts.subarray(2 * 65, 3 * 65);
    const end = field.indexOf(0);
    version = parseKernelRelease(new TextDecoder().decode(field.subarray(0, end < 0 ? 65 : end)));
  }
  return version;
}

/** True when the running kernel is at least major.minor(.patch). */
export function kernelAtLeast(major: number, minor: number, patch = 0): boolean {
  const v = kernelVersion();
  return v.code >= (major << 16) + (minor << 8) + patch;
}

/** Capability numbers (linux/capability.h). */
export const Capability = {
  CAP_CHOWN: 0,
  CAP_DAC_OVERRIDE: 1,
  CAP_DAC_READ_SEARCH: 2,
  CAP_FOWNER: 3,
  CAP_FSETID: 4,
  CAP_KILL: 5,
  CAP_SETGID: 6,
  CAP_SETUID: 7,
  CAP_SETPCAP: 8,
  CAP_LINUX_IMMUTABLE: 9,
  CAP_NET_BIND_SERVICE: 10,
  CAP_NET_BROADCAST: 11,
  CAP_NET_ADMIN: 12,
  CAP_NET_RAW: 13,
  CAP_IPC_LOCK: 14,
  CAP_IPC_OWNER: 15,
  CAP_SYS_MODULE: 16,
  CAP_SYS_RAWIO: 17,
  CAP_SYS_CHROOT: 18,
  CAP_SYS_PTRACE: 19,
  CAP_SYS_PACCT: 20,
  CAP_SYS_ADMIN: 21,
  CAP_SYS_BOOT: 22,
  CAP_SYS_NICE: 23,
  CAP_SYS_RESOURCE: 24,
  CAP_SYS_TIME: 25,
  CAP_SYS_TTY_CONFIG: 26,
  CAP_MKNOD: 27,
  CAP_LEASE: 28,
  CAP_AUDIT_WRITE: 29,
  CAP_AUDIT_CONTROL: 30,
  CAP_SETFCAP: 31,
  CAP_MAC_OVERRIDE: 32,
  CAP_MAC_ADMIN: 33,
  CAP_SYSLOG: 34,
  CAP_WAKE_ALARM: 35,
  CAP_BLOCK_SUSPEND: 36,
  CAP_AUDIT_READ: 37,
  CAP_PERFMON: 38,
  CAP_BPF: 39,
  CAP_CHECKPOINT_RESTORE: 40,
} as const;

/** A capability name such as `'CAP_BPF'`. */
export type CapabilityName = keyof typeof Capability;

const LINUX_CAPABILITY_VERSION_3 = 0x20080522;

/** The effective capability set of this process, as a bit mask. */
export function effectiveCapabilities(): bigint {
  const headerStorage = new ArrayBuffer(8);
  const header = new Uint8Array(headerStorage);
  new DataView(headerStorage).setUint32(0, LINUX_CAPABILITY_VERSION_3, HOST_LITTLE_ENDIAN);
  const dataStorage = new ArrayBuffer(24);
  const data = new Uint8Array(dataStorage);
  sysCapget(header, data);
  const v = new DataView(dataStorage);
  return BigInt(v.getUint32(0, HOST_LITTLE_ENDIAN)) | (BigInt(v.getUint32(12, HOST_LITTLE_ENDIAN)) << 32n);
}

/** True when this process has the capability in its effective set. */
export function hasCapability(name: CapabilityName): boolean {
  const bit = Capability[name];
  if (bit === undefined) throw new BpfArgumentError('name', `unknown capability ${JSON.stringify(name)}`);
  return (effectiveCapabilities() & (1n << BigInt(bit))) !== 0n;
}

/**
 * The capabilities of `needs` this process lacks in its effective set (one capget): none when it
 * holds CAP_SYS_ADMIN, which the kernel takes for each of CAP_BPF, CAP_PERFMON and CAP_NET_ADMIN
 * (`bpf_token_capable`, `bpf_capable`).
 */
export function missingCapabilities<C extends CapabilityName>(needs: readonly C[]): C[] {
  const caps = effectiveCapabilities();
  const holds = (name: CapabilityName) => (caps & (1n << BigInt(Capability[name]))) !== 0n;
  return holds('CAP_SYS_ADMIN') ? [] : needs.filter((n) => !holds(n));
}

/** Parses a kernel CPU list such as `0-3,5,7-8`. */
export function parseCpuList(text: string): number[] {
  const cpus: number[] = [];
  for (const part of text.trim().split(',')) {
    if (!part) continue;
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) throw new BpfArgumentError('cpu list', `cannot parse ${JSON.stringify(text)}`);
    const from = Number(m[1]);
    const to = Number(m[2] ?? m[1]);
    for (let c = from; c <= to; c++) cpus.push(c);
  }
  return cpus;
}

let possible: readonly number[] | undefined;

/** The possible CPUs (/sys/devices/system/cpu/possible): per-CPU maps hold one value for each. */
export function possibleCpus(): readonly number[] {
  possible ??= Object.freeze(parseCpuList(readFileSync('/sys/devices/system/cpu/possible', 'utf8')));
  return possible;
}

/** How many possible CPUs there are (the highest possible CPU + 1). */
export function possibleCpuCount(): number {
  const cpus = possibleCpus();
  return (cpus[cpus.length - 1] ?? 0) + 1;
}

/**
 * The online NUMA nodes (/sys/devices/system/node/online): the nodes a map may be created on
 * (`BPF_F_NUMA_NODE`). A kernel built without NUMA has no such file, and one node, 0.
 */
export function onlineNumaNodes(): number[] {
  const path = '/sys/devices/system/node/online';
  return existsSync(path) ? parseCpuList(readFileSync(path, 'utf8')) : [0];
}

/** The online CPUs (/sys/devices/system/cpu/online). */
export function onlineCpus(): number[] {
  return parseCpuList(readFileSync('/sys/devices/system/cpu/online', 'utf8'));
}
