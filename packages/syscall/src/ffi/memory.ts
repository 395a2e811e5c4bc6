/** Native memory: mmap and munmap through libc, views of native memory, allocations, the page size. */
import { fail, n } from './native.js';

const MAP_FAILED = (1n << 64n) - 1n;

/**
 * `mmap(NULL, len, prot, flags, fd, off)` through libc (s390x's mmap syscall
 * takes its arguments in memory; libc knows each architecture's form).
 * Returns the address.
 */
export function sysMmap(length: number, prot: number, flags: number, fd: number, offset: number): bigint {
  const addr = n().mmap(null, length, prot, flags, fd, offset);
  const value = addr === null ? 0n : BigInt.asUintN(64, n().koffi.address(addr));
  if (value === MAP_FAILED || value === 0n) {
    fail({ syscall: 'mmap', detail: `fd ${fd}, length ${length}, offset ${offset}` });
  }
  return value;
}

/** `mmap(addr, len, …, MAP_FIXED …)`: replaces a range in place (used to retire mappings safely). */
export function sysMmapFixed(address: bigint, length: number, prot: number, flags: number): void {
  const addr = n().mmap(address, length, prot, flags, -1, 0);
  const value = addr === null ? 0n : BigInt.asUintN(64, n().koffi.address(addr));
  if (value !== address) fail({ syscall: 'mmap', detail: 'MAP_FIXED placeholder' });
}

/** `munmap(addr, len)` through libc. */
export function sysMunmap(address: bigint, length: number): void {
  if (n().munmap(address, length) < 0) fail({ syscall: 'munmap' });
}

/** An ArrayBuffer over `length` bytes of native memory at `address`, without a copy. */
export function viewMemory(address: bigint, length: number): ArrayBuffer {
  return n().koffi.view(address, length) as ArrayBuffer;
}

/** Native memory until `free()`: an address and a view of it (not to be touched after `free`). */
export function allocNative(size: number): { address: number; buffer: ArrayBuffer; free(): void } {
  const { koffi } = n();
  const ptr = koffi.alloc('uint8_t', size);
  const buffer = koffi.view(ptr, size) as ArrayBuffer;
  return { address: Number(koffi.address(ptr)), buffer, free: () => koffi.free(ptr) };
}

/** Native memory that lives as long as the process: an address and a view of it. */
export function allocPermanent(size: number): { address: number; buffer: ArrayBuffer } {
  const { address, buffer } = allocNative(size); // never freed
  new Uint8Array(buffer).fill(0);
  return { address, buffer };
}

const SC_PAGESIZE = 30;

/** The kernel's page size (sysconf(_SC_PAGESIZE)). */
export function sysPageSize(): number {
  return n().sysconf(SC_PAGESIZE);
}
