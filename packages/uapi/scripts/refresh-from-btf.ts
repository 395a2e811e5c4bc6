/**
 * Refreshes the enum facts of data/bpf-uapi.json from the running kernel's BTF
 * (/sys/kernel/btf/vmlinux, or the file given), parsed with @ts-ebpf/btf.
 *
 *   npx tsx --conditions=@ts-ebpf/source scripts/refresh-from-btf.ts [path/to/vmlinux.btf]
 *
 * Every enum of the data file is looked up (by name, anonymous ones by their first member);
 * its members become the kernel's. Members the data had that this kernel lacks are kept under
 * `newer` with their source, never dropped. An enum this kernel does not have is an error.
 * `#define` facts and helper signatures are not in BTF and are left as they are. Then run
 * scripts/generate.ts.
 */
import { readFileSync } from 'node:fs';
import { release } from 'node:os';
import { Btf, type Enum64Type, type EnumType } from '@ts-ebpf/btf';
import { type EnumFacts, enumLabel, type NewerMember, readUapiData, writeUapiData } from './uapi-data.js';

type KernelEnum = EnumType | Enum64Type;

/** The kernel's enum for `facts`: by name, or the anonymous enum whose first member is the anchor. */
export function findKernelEnum(btf: Btf, facts: EnumFacts): KernelEnum | undefined {
  if (facts.name !== undefined) return btf.find(facts.name, 'enum') ?? btf.find(facts.name, 'enum64');
  for (const t of btf.types()) {
    if ((t.kind === 'enum' || t.kind === 'enum64') && t.name === '' && t.values[0]?.name === facts.anchor) {
      return t;
    }
  }
  return undefined;
}

/** The kernel enum's members as data rows, sentinels (`__MAX_…`) left out. */
export function kernelMembers(e: KernelEnum): [string, number][] {
  return e.values.filter((v) => !v.name.startsWith('__')).map((v) => [v.name, Number(v.value)]);
}

/** `facts` with the kernel's members; members the kernel lacks kept under `newer` with their source. */
export function refreshEnum(facts: EnumFacts, kernel: KernelEnum, source: string): EnumFacts {
  const members = kernelMembers(kernel);
  const have = new Set(members.map(([n]) => n));
  const newer: NewerMember[] = [
    ...facts.newer.filter(([n]) => !have.has(n)),
    ...facts.members.filter(([n]) => !have.has(n)).map(([n, v]): NewerMember => [n, v, facts.source]),
  ];
  return {
    ...(facts.name === undefined ? { anchor: facts.anchor! } : { name: facts.name }),
    source,
    members,
    newer,
  };
}

function main(): void {
  const path = process.argv[2] ?? '/sys/kernel/btf/vmlinux';
  const btf = Btf.parse(new Uint8Array(readFileSync(path)));
  const source = `BTF of Linux ${release()}`;
  const data = readUapiData();
  const enums = data.enums.map((facts) => {
    const kernel = findKernelEnum(btf, facts);
    if (!kernel) throw new Error(`${path} has no ${enumLabel(facts)}`);
    return refreshEnum(facts, kernel, source);
  });
  writeUapiData({ ...data, enums });
  const newer = enums.reduce((n, e) => n + e.newer.length, 0);
  console.log(`refreshed ${enums.length} enums from ${source}; ${newer} members newer than this kernel kept`);
}

if (import.meta.url === `file://${process.argv[1]}`) main();
