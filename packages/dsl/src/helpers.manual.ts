/**
 * HAND-WRITTEN: helpers newer than the installed linux/bpf.h (6.1, which ends at id 209).
 * Taken from the kernel's include/uapi/linux/bpf.h (6.2+). Upstream ends the list at id 211
 * with "This helper list is effectively frozen": newer functionality comes as kfuncs, so
 * there are no helpers 212+ to add.
 */
import type { HelperInfo } from './helper-types.js';

/** Helpers added after the installed header, in id order. */
export const MANUAL_HELPERS: readonly HelperInfo[] = [
  {
    id: 210,
    name: 'cgrp_storage_get',
    returns: 'void *',
    args: [
      { type: 'struct bpf_map *', name: 'map' },
      { type: 'struct cgroup *', name: 'cgroup' },
      { type: 'void *', name: 'value' },
      { type: 'u64', name: 'flags' },
    ],
  },
  {
    id: 211,
    name: 'cgrp_storage_delete',
    returns: 'long',
    args: [
      { type: 'struct bpf_map *', name: 'map' },
      { type: 'struct cgroup *', name: 'cgroup' },
    ],
  },
];
