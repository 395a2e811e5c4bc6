import { readFileSync } from 'node:fs';
import { fileOffsetOf, NameNotFoundError, parseElf, readUsdtNotes, UsdtSpecError } from '@ts-ebpf/elf';
import { attachUprobe, Link, type Program } from '@ts-ebpf/programs';
import type { UsdtAttach } from './attach-spec.js';

/** A file offset of `binary`, or a UsdtSpecError naming what lies outside its loadable segments. */
function offsetIn(
  elf: ReturnType<typeof parseElf>,
  address: bigint,
  binary: string,
  probe: string,
  what: string,
): bigint {
  const offset = fileOffsetOf(elf, address);
  if (offset === undefined)
    throw new UsdtSpecError(
      binary,
      probe,
      `${what} 0x${address.toString(16)} lies in no loadable segment of the file`,
    );
  return offset;
}

/**
 * Attaches `program` as a uprobe at every site of a USDT probe, each with the probe's
 * semaphore raised while attached. The Link groups one uprobe per site.
 * @throws NameNotFoundError (of `@ts-ebpf/elf`) naming the probes the binary has
 * @throws UsdtSpecError when the binary cannot be read
 */
export function attachUsdtSites(program: Program, spec: UsdtAttach): Link {
  const probe = `${spec.provider}:${spec.name}`;
  let elf: ReturnType<typeof parseElf>;
  try {
    elf = parseElf(readFileSync(spec.binary));
  } catch (e) {
    throw new UsdtSpecError(spec.binary, probe, `cannot read the binary: ${(e as Error).message}`, {
      cause: e,
    });
  }
  const notes = readUsdtNotes(elf, spec.binary);
  const sites = notes.filter((n) => n.provider === spec.provider && n.name === spec.name);
  if (sites.length === 0)
    throw new NameNotFoundError(
      'USDT probe',
      probe,
      [...new Set(notes.map((n) => `${n.provider}:${n.name}`))],
      `${spec.binary} (.note.stapsdt)`,
    );
  const children: Link[] = [];
  try {
    for (const site of sites) {
      const at = `site 0x${site.address.toString(16)}`;
      const offset = offsetIn(elf, site.address, spec.binary, probe, at);
      const semaphore =
        site.semaphore === 0n
          ? undefined
          : offsetIn(elf, site.semaphore, spec.binary, probe, `${at}: semaphore`);
      children.push(
        attachUprobe(program, {
          path: spec.binary,
          offset,
          ...(semaphore !== undefined && { refCtrOffset: Number(semaphore) }),
          ...(spec.pid !== undefined && { pid: spec.pid }),
          ...(spec.cookie !== undefined && { cookie: spec.cookie }),
        }),
      );
    }
  } catch (e) {
    // Every site attached so far is detached, even when one detach fails (a group Link tries all).
    try {
      new Link({ kind: 'usdt', children: children.reverse() }).close();
    } catch (undo) {
      throw new UsdtSpecError(
        spec.binary,
        probe,
        `attaching failed (${(e as Error).message}), and detaching the sites attached before failed too: ${(undo as Error).message}`,
        { cause: e },
      );
    }
    throw e;
  }
  return new Link({ kind: 'usdt', children });
}
