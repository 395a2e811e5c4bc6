// Node-only module (kernel access); the rest of src/ is pure TypeScript.
/// <reference types="node" />
import { readFileSync } from 'node:fs';
import { Btf } from './btf.js';
import { BtfError } from './errors.js';

/** Where the kernel exposes its BTF. */
export const KERNEL_BTF_DIR = '/sys/kernel/btf';

/**
 * Reads and parses this machine's kernel BTF (`/sys/kernel/btf/vmlinux`), or with
 * `module`, that module's split BTF on top of vmlinux. Node only.
 * @throws BtfError for corrupt BTF, for a module name that is no name (a path), and naming the
 *   file (with the fs error as `cause`) when this kernel exposes no BTF there: no
 *   CONFIG_DEBUG_INFO_BTF, or a module that is not loaded
 */
export function loadKernelBtf(module?: string): Btf {
  // a module's file is named as /proc/modules names it: no path, no dots
  if (module !== undefined && !/^[\w-]+$/.test(module)) {
    throw new BtfError(`'${module}' is not a kernel module name (as /proc/modules lists them)`);
  }
  const vmlinux = Btf.parse(readKernelBtf('vmlinux'));
  if (module === undefined || module === 'vmlinux') return vmlinux;
  return Btf.parse(readKernelBtf(module), { base: vmlinux });
}

/** The bytes of `/sys/kernel/btf/<name>`, or a BtfError saying why there are none. */
function readKernelBtf(name: string): Uint8Array {
  const path = `${KERNEL_BTF_DIR}/${name}`;
  try {
    return new Uint8Array(readFileSync(path));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why =
      code !== 'ENOENT'
        ? `cannot read ${path}: ${code ?? String(e)}`
        : name === 'vmlinux'
          ? `this kernel exposes no BTF (${path} does not exist): it needs CONFIG_DEBUG_INFO_BTF`
          : `no BTF for kernel module '${name}' (${path} does not exist): is the module loaded, and was it built with BTF?`;
    throw new BtfError(why, undefined, { cause: e });
  }
}

let cached: Btf | undefined;

/**
 * This machine's vmlinux BTF, parsed on the first call and shared by every later one (and by
 * every package that resolves kernel types: maps, programs, elf), where {@link loadKernelBtf}
 * parses anew each time. Node only.
 * @throws BtfError for corrupt or missing BTF
 */
export function kernelBtf(): Btf {
  cached ??= loadKernelBtf();
  return cached;
}
