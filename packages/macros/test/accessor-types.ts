// Type tests: compiled by `tsc -p packages/macros/tsconfig.test.json` (npm run typecheck), never
// run. Each `@ts-expect-error` line is a misuse that must not compile; the others must.
import type { BpfMap } from '@ts-ebpf/maps';
import { MapType, u32, u64 } from '@ts-ebpf/maps';
import { BpfProgType, type IterLink, type Link } from '@ts-ebpf/programs';
import { defineMap, defineProgram, script } from '../src/index.js';

const code = () => new Uint8Array(16);

export function accessorTypes(): void {
  const counts = defineMap({ type: MapType.ARRAY, key: u32, value: u64, maxEntries: 1 });
  const socks = defineMap({ type: MapType.SOCKMAP, key: u32, value: u32, maxEntries: 2 });
  const raw = defineMap({ keySize: 4, valueSize: 8 });

  const count = defineProgram({
    maps: { counts },
    type: BpfProgType.XDP,
    build: (maps) => {
      const typed: BpfMap<number, bigint> = maps.counts;
      void typed;
      // @ts-expect-error build gets the maps the program declares, no others
      void maps.socks;
      return code();
    },
    attach: { kind: 'xdp', interface: 'eth0' },
  });
  const verdict = defineProgram({
    maps: { socks },
    type: BpfProgType.SK_MSG,
    build: code,
    attach: { kind: 'sockmap', map: 'socks' },
  });
  const walk = defineProgram({ type: BpfProgType.TRACING, build: code, attach: { kind: 'iter' } });
  const loadOnly = defineProgram({ type: BpfProgType.XDP, build: code });

  const s = script({ maps: { raw }, programs: { count, verdict, walk, loadOnly } });
  const value: bigint | undefined = s.maps.counts.get(0);
  s.maps.counts.set(0, 1n);
  const bytes: Uint8Array | undefined = s.maps.raw.get(new Uint8Array(4));
  const link: Link = s.links.count;
  const iter: IterLink = s.links.walk;
  iter.open();
  const maybe: Link | undefined = s.links.loadOnly;
  void [value, bytes, link, maybe];

  // the script's attach overrides type the links: false is none, an iter spec an IterLink
  const over = script({
    programs: { count, walk, loadOnly },
    attach: { count: false, loadOnly: { kind: 'iter' } },
  });
  const none: undefined = over.links.count;
  const nowIter: IterLink = over.links.loadOnly;
  const stillIter: IterLink = over.links.walk;
  void [none, nowIter, stillIter];
  // @ts-expect-error a program the script does not attach has no link
  const detached: Link = over.links.count;
  void detached;

  // @ts-expect-error a u32 key is a number
  s.maps.counts.get('zero');
  // @ts-expect-error a u64 value is a bigint
  s.maps.counts.set(0, 'one');
  // @ts-expect-error no map of that name
  void s.maps.count;
  // @ts-expect-error no program of that name
  void s.programs.counter;
  // @ts-expect-error a link of a program without attach may be undefined
  const notSure: Link = s.links.loadOnly;
  void notSure;

  defineProgram({
    maps: { counts },
    type: BpfProgType.SK_MSG,
    build: code,
    // @ts-expect-error the sockmap attach names a map the program does not declare
    attach: { kind: 'sockmap', map: 'socks' },
  });
  defineProgram({
    type: BpfProgType.XDP,
    build: code,
    // @ts-expect-error no such attach kind
    attach: { kind: 'xdpp', interface: 'eth0' },
  });
  defineProgram({
    type: BpfProgType.XDP,
    build: code,
    // @ts-expect-error an xdp attach needs an interface
    attach: { kind: 'xdp' },
  });
  // @ts-expect-error build's maps come from `maps`
  defineProgram({ maps: { counts }, type: BpfProgType.XDP, build: ({ other }) => other });

  script({
    programs: { count },
    // @ts-expect-error an attach override for a program the script lacks
    attach: { counter: false },
  });
  script({
    maps: { counts, socks },
    programs: { loadOnly },
    // @ts-expect-error a script attach names a map the script lacks
    attach: { loadOnly: { kind: 'sockmap', map: 'nope' } },
  });
  script({
    programs: { loadOnly },
    // @ts-expect-error a struct_ops member names a program the script lacks
    structOps: { cc: { type: 'tcp_congestion_ops', members: { ssthresh: 'nope' } } },
  });
}
