import { catalog } from '@ts-ebpf/test-utils';
import { describe } from 'vitest';
import {
  attachTypeByName,
  attachTypeName,
  helperSignature,
  linkTypeByName,
  mapTypeByName,
  mapTypeName,
  progTypeByName,
  progTypeName,
  sectionDef,
  UnknownNameError,
} from '../src/index.js';

describe('mistakes with kernel facts', () => {
  catalog([
    {
      what: 'a misspelt program type name',
      act: () => progTypeByName('sched_cl'),
      error: UnknownNameError,
      names: ["program type 'sched_cl'", "did you mean 'SCHED_CLS'"],
    },
    {
      what: 'a program type name with the map-type prefix',
      act: () => progTypeByName('BPF_MAP_TYPE_XDP'),
      error: UnknownNameError,
      names: ["program type 'BPF_MAP_TYPE_XDP'"],
    },
    {
      what: 'a misspelt map type name',
      act: () => mapTypeByName('perpcu_array'),
      error: UnknownNameError,
      names: ["map type 'perpcu_array'", "did you mean 'PERCPU_ARRAY'"],
    },
    {
      what: 'a map type number no kernel has',
      act: () => mapTypeName(250),
      error: UnknownNameError,
      names: ['map type number 250'],
    },
    {
      what: 'a program type number no kernel has',
      act: () => progTypeName(-1),
      error: UnknownNameError,
      names: ['program type number -1'],
    },
    {
      what: 'an attach type given by its program type name',
      act: () => attachTypeByName('cgroup_skb'),
      error: UnknownNameError,
      names: ["attach type 'cgroup_skb'"],
    },
    {
      what: 'an attach type number no kernel has',
      act: () => attachTypeName(999),
      error: UnknownNameError,
      names: ['attach type number 999'],
    },
    {
      what: 'a misspelt link type name',
      act: () => linkTypeByName('netfiltr'),
      error: UnknownNameError,
      names: ["link type 'netfiltr'", "did you mean 'NETFILTER'"],
    },
    {
      what: 'a misspelt helper name',
      act: () => helperSignature('bpf_map_lookup_elm'),
      error: UnknownNameError,
      names: ["helper 'bpf_map_lookup_elm'", "did you mean 'map_lookup_elem'"],
    },
    {
      what: 'a helper id past the end of the helper list',
      act: () => helperSignature(212),
      error: UnknownNameError,
      names: ['helper number 212'],
    },
    {
      what: 'a misspelt section name',
      act: () => sectionDef('kprobe_multi/do_sys_open'),
      error: UnknownNameError,
      names: ["section name 'kprobe_multi/do_sys_open'", "did you mean 'kprobe.multi'"],
    },
    {
      what: 'a section name with a target where libbpf takes none',
      act: () => sectionDef('sk_lookup/extra'),
      error: UnknownNameError,
      names: ["section name 'sk_lookup/extra'"],
    },
  ]);
});
