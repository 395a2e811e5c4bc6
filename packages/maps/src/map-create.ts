import { existsSync } from 'node:fs';
import { BpfMapCreateFlag, mapCreate } from '@ts-ebpf/syscall';
import { createError } from './map-diagnosis.js';
import type { MapSpec } from './map-spec.js';
import { type CreateRequest, checkSpec } from './spec-check.js';
import { withMapBtf } from './storage-btf.js';

// BPF_MAP_CREATE for `BpfMap.create`: what a spec asks the kernel for, checked before asking, and
// the kernel's refusal explained.

/** What a spec asks the kernel for, once its codecs give the key and value sizes. */
export function createRequest<K, V>(spec: MapSpec<K, V>, keySize: number, valueSize: number): CreateRequest {
  let flags = spec.flags ?? 0;
  if (spec.numaNode !== undefined) flags |= BpfMapCreateFlag.NUMA_NODE;
  return {
    type: spec.type,
    keySize,
    valueSize,
    maxEntries: spec.maxEntries,
    flags,
    mapExtra: spec.mapExtra,
    hasInnerMap: spec.innerMap !== undefined,
    hasVmlinuxValueType: spec.btf?.vmlinuxValueTypeId !== undefined,
    withToken: spec.token !== undefined,
  };
}

/** The path of a pin the spec's map is opened from instead of created (`pinning.reuse`, on by default). */
export function reusablePin<K, V>(spec: MapSpec<K, V>): string | undefined {
  const { pinning } = spec;
  return pinning && (pinning.reuse ?? true) && existsSync(pinning.path) ? pinning.path : undefined;
}

/**
 * Creates the map `request` describes, with the spec's name, NUMA node, inner map and BTF.
 * @returns its fd
 * @throws MapSpecError for a request the kernel would refuse (checked before asking it)
 * @throws MapCreateError when the kernel refuses the map
 */
export function createMapFd<K, V>(label: string, spec: MapSpec<K, V>, request: CreateRequest): number {
  checkSpec(label, request);
  try {
    return withMapBtf(spec.type, request.valueSize, spec.btf, spec.token, (btf) =>
      mapCreate({
        mapType: spec.type,
        keySize: request.keySize,
        valueSize: request.valueSize,
        maxEntries: spec.maxEntries,
        mapFlags: request.flags,
        numaNode: spec.numaNode,
        mapName: spec.name,
        innerMapFd: spec.innerMap?.fd,
        mapExtra: spec.mapExtra,
        btfFd: btf?.fd,
        btfKeyTypeId: btf?.keyTypeId,
        btfValueTypeId: btf?.valueTypeId,
        btfVmlinuxValueTypeId: btf?.vmlinuxValueTypeId,
        mapTokenFd: spec.token?.fd,
      }),
    );
  } catch (e) {
    throw createError(label, request, e);
  }
}
