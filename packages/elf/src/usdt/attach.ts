import { readFileSync } from 'node:fs';
import { Machine, machineName, parseElf, ElfError as ReaderError } from '@ts-ebpf/elf-reader';
import { attachUprobe, Link, type Program } from '@ts-ebpf/programs';
import { BpfMapUpdateFlag } from '@ts-ebpf/syscall';
import { HOST_BYTE_ORDER, HOST_LITTLE_ENDIAN } from '@ts-ebpf/uapi';
import type { RawMap } from '../create-maps.js';
import { NameNotFoundError, UsdtAttachError, UsdtSpecError } from '../errors.js';
import { encodeUsdtSpec, parseX86UsdtArgs, USDT_MAX_ARGS, USDT_SPEC_SIZE } from './arg-spec.js';
import { fileOffsetOf, readUsdtNotes } from './notes.js';
import { USDT_SPECS_MAP } from './spec-map.js';

/** Where a USDT program attaches: every place a binary fires `provider:name`. */
export interface UsdtTarget {
  /** Path of the executable or shared library holding the probe. */
  readonly binary: string;
  /** The probe's provider. */
  readonly provider: string;
  /** The probe's name. */
  readonly name: string;
  /** Only in this process (default: every process that maps the binary). */
  readonly pid?: number;
  /** A value the program reads with `bpf_usdt_cookie()` (default 0). */
  readonly cookie?: bigint | number;
}

/** The map `usdt.bpf.h` looks spec ids up in by instruction address when BPF cookies are absent. */
export const USDT_IP_MAP = '__bpf_usdt_ip_to_spec_id';

/**
 * The USDT spec slots of one collection: its `__bpf_usdt_specs` map, which slots are in
 * use, and how programs find theirs (a BPF cookie, or the ip-to-spec map).
 */
export class UsdtSpecTable {
  readonly #specs: RawMap;
  readonly #ips: RawMap | undefined;
  readonly #cookies: boolean;
  readonly #free: number[] = [];
  #next = 0;

  /**
   * @param specs - the `__bpf_usdt_specs` array map (its value size checked when the collection
   *   was loaded: `checkUsdtMaps`)
   * @param ips - the `__bpf_usdt_ip_to_spec_id` hash map (needed without cookies)
   * @param cookies - whether the programs were loaded with `LINUX_HAS_BPF_COOKIE` set
   */
  constructor(specs: RawMap, ips: RawMap | undefined, cookies: boolean) {
    this.#specs = specs;
    this.#ips = ips;
    this.#cookies = cookies;
  }

  /**
   * Attaches `program` (named `programName` in errors) to every site of the probe `target`
   * names: one uprobe per site, its spec written to a free slot, found by the program
   * through the uprobe's BPF cookie (or, without cookies, the site's address). Closing the
   * Link detaches them and frees the slots.
   * @throws UsdtSpecError when the binary cannot be read or a site's arguments cannot be expressed
   * @throws NameNotFoundError when the binary has no such probe (naming those it has)
   * @throws UsdtAttachError when the maps are not `usdt.bpf.h`'s, or are full
   */
  attach(program: Program, programName: string, target: UsdtTarget): Link {
    const probe = `${target.provider}:${target.name}`;
    const sites = probeSites(target.binary, probe, target);
    if (!this.#cookies) {
      if (!this.#ips)
        throw new UsdtAttachError(
          programName,
          `the object has no map ${USDT_IP_MAP}, needed without BPF cookies`,
        );
      if (sites.positionIndependent)
        throw new UsdtAttachError(
          programName,
          `${target.binary} is position-independent: its probe addresses are known only per process, and the program was loaded without BPF cookies (LINUX_HAS_BPF_COOKIE=n)`,
        );
    }
    const cookie = usdtCookie(programName, target.cookie);
    const ids: number[] = [];
    const ipKeys: Uint8Array[] = [];
    const links: Link[] = [];
    const release = () => {
      for (const key of ipKeys.splice(0)) this.#ips?.delete(key);
      for (const id of ids.splice(0)) {
        this.#specs.set(u32(id), new Uint8Array(USDT_SPEC_SIZE));
        this.#free.push(id);
      }
    };
    try {
      const idOfArgs = new Map<string, number>();
      for (const site of sites.list) {
        let id = idOfArgs.get(site.args);
        if (id === undefined) {
          id = this.#allocate(programName);
          ids.push(id);
          idOfArgs.set(site.args, id);
          this.#specs.set(u32(id), site.spec(cookie));
        }
        if (!this.#cookies) {
          const key = u64(site.address);
          try {
            this.#ips!.set(key, u32(id), BpfMapUpdateFlag.NOEXIST);
          } catch (e) {
            throw new UsdtAttachError(
              programName,
              `site 0x${site.address.toString(16)} of ${probe} in ${target.binary} is already attached from this collection: without BPF cookies one address has one spec`,
              { cause: e },
            );
          }
          ipKeys.push(key);
        }
        links.push(
          attachUprobe(program, {
            path: target.binary,
            offset: site.fileOffset,
            ...(site.refCtrOffset !== undefined ? { refCtrOffset: site.refCtrOffset } : {}),
            ...(target.pid !== undefined ? { pid: target.pid } : {}),
            ...(this.#cookies ? { cookie: BigInt(id) } : {}),
          }),
        );
      }
    } catch (e) {
      for (const l of links.reverse()) l.close();
      release();
      throw e;
    }
    return new Link({ kind: 'usdt', children: links, detach: release });
  }

  #allocate(programName: string): number {
    const id = this.#free.pop() ?? (this.#next < this.#specs.maxEntries ? this.#next++ : undefined);
    if (id === undefined)
      throw new UsdtAttachError(
        programName,
        `all ${this.#specs.maxEntries} slots of ${USDT_SPECS_MAP} are in use (define BPF_USDT_MAX_SPEC_CNT larger)`,
      );
    return id;
  }
}

/** The user's cookie as the 64 bits `bpf_usdt_cookie()` returns. @throws UsdtAttachError when it is no 64-bit integer */
function usdtCookie(programName: string, cookie: bigint | number | undefined): bigint {
  const value = cookie ?? 0;
  const fits =
    (typeof value === 'bigint' || Number.isSafeInteger(value)) &&
    BigInt(value) >= -(1n << 63n) &&
    BigInt(value) < 1n << 64n;
  if (!fits) throw new UsdtAttachError(programName, `cookie ${String(value)} is not a 64-bit integer`);
  return BigInt.asUintN(64, BigInt(value));
}

const u32 = (n: number) => {
  const storage = new ArrayBuffer(4);
  new DataView(storage).setUint32(0, n, HOST_LITTLE_ENDIAN);
  return new Uint8Array(storage);
};
const u64 = (n: bigint) => {
  const storage = new ArrayBuffer(8);
  new DataView(storage).setBigUint64(0, n, HOST_LITTLE_ENDIAN);
  return new Uint8Array(storage);
};

/** One place a binary fires a probe, ready to attach. */
interface Site {
  args: string;
  address: bigint;
  fileOffset: bigint;
  refCtrOffset: number | undefined;
  spec(cookie: bigint): Uint8Array;
}

/** Reads a binary's notes and resolves every site of `probe`. */
function probeSites(
  binary: string,
  probe: string,
  target: UsdtTarget,
): { list: Site[]; positionIndependent: boolean } {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(binary);
  } catch (e) {
    throw new UsdtSpecError(binary, probe, `cannot read the binary: ${(e as Error).message}`, { cause: e });
  }
  let elf: ReturnType<typeof parseElf>;
  try {
    elf = parseElf(bytes);
  } catch (e) {
    if (e instanceof ReaderError)
      throw new UsdtSpecError(binary, probe, `not a readable ELF64 file: ${e.message}`, { cause: e });
    throw e;
  }
  const notes = readUsdtNotes(elf, binary);
  const matching = notes.filter((n) => n.provider === target.provider && n.name === target.name);
  if (matching.length === 0) {
    const names = [...new Set(notes.map((n) => `${n.provider}:${n.name}`))];
    throw new NameNotFoundError('USDT probe', probe, names, `${binary} (.note.stapsdt)`);
  }
  if (elf.header.machine !== Machine.X86_64)
    throw new UsdtSpecError(
      binary,
      probe,
      `argument operands of ${machineName(elf.header.machine)} binaries are not supported (x86-64 only)`,
    );
  const list = matching.map((note): Site => {
    const at = `site 0x${note.address.toString(16)}`;
    const args = parseX86UsdtArgs(note.args);
    if (!Array.isArray(args))
      throw new UsdtSpecError(binary, probe, `${at}: argument ${args.index} '${args.text}': ${args.why}`);
    if (args.length > USDT_MAX_ARGS)
      throw new UsdtSpecError(
        binary,
        probe,
        `${at}: ${args.length} arguments, usdt.bpf.h holds ${USDT_MAX_ARGS}`,
      );
    const fileOffset = fileOffsetOf(elf, note.address);
    if (fileOffset === undefined)
      throw new UsdtSpecError(binary, probe, `${at}: the address lies in no loadable segment of the file`);
    let refCtrOffset: number | undefined;
    if (note.semaphore !== 0n) {
      const o = fileOffsetOf(elf, note.semaphore);
      if (o === undefined)
        throw new UsdtSpecError(
          binary,
          probe,
          `${at}: semaphore 0x${note.semaphore.toString(16)} lies in no loadable segment's file contents`,
        );
      refCtrOffset = Number(o);
    }
    return {
      args: note.args,
      address: note.address,
      fileOffset,
      refCtrOffset,
      spec: (cookie) => encodeUsdtSpec(args, cookie, HOST_BYTE_ORDER),
    };
  });
  // ET_DYN (3): a shared library or PIE executable, mapped at an address chosen per process.
  return { list, positionIndependent: elf.header.type === 3 };
}
