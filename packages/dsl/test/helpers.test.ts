import { describe, expect, it } from 'vitest';
import * as d from '../src/index.js';

describe('helper table', () => {
  it('has every helper id from 1 to 211 exactly once', () => {
    expect(d.HELPERS.map((h) => h.id)).toEqual(Array.from({ length: 211 }, (_, i) => i + 1));
  });

  it('carries signatures parsed from the header doc comments', () => {
    expect(d.helper('map_lookup_elem')).toEqual({
      id: 1,
      name: 'map_lookup_elem',
      returns: 'void *',
      args: [
        { type: 'struct bpf_map *', name: 'map' },
        { type: 'const void *', name: 'key' },
      ],
    });
    expect(d.helper(6).args.at(-1)).toEqual({ type: '...', name: '' });
    expect(d.helper('bpf_ktime_get_ns').args).toEqual([]);
    expect(d.helper(211).name).toBe('cgrp_storage_delete');
  });

  it('looks helpers up by id, bare name and bpf_ name', () => {
    expect(d.findHelper('bpf_trace_printk')?.id).toBe(6);
    expect(d.findHelper('trace_printk')?.id).toBe(6);
    expect(d.findHelper(9999)).toBeUndefined();
    expect(() => d.helper(9999)).toThrow(/unknown helper id 9999/);
    expect(d.call('bpf_get_current_pid_tgid')).toEqual(d.call(14));
  });

  it('suggests the nearest name by edit distance', () => {
    expect(d.editDistance('kitten', 'sitting')).toBe(3);
    expect(d.nearestHelperName('bpf_get_curent_pid_tgid')).toBe('get_current_pid_tgid');
    expect(() => d.helper('ringbuf_outptu')).toThrow(/did you mean 'ringbuf_output'/);
  });
});
