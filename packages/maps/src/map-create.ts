import { existsSync } from 'node:fs';
import { BpfMapCreateFlag, checkObjectName, getPinned, type MapInfo, mapCreate } from '@ts-ebpf/syscall';
import type { Codec } from './codecs/codec.js';
import { specCodecs } from './map-codecs.js';
import { createError, mapLabel } from './map-diagnosis.js';
import { adoptMapFd } from './map-open.js';
import type { MapPinning, MapSpec } from './map-spec.js';
import { assertReusable } from './pin-reuse.js';
import { type CreateRequest, checkSpec } from './spec-check.js';
import { withMapBtf } from './storage-btf.js';

// BPF_MAP_CREATE for `BpfMap.create`: what a spec asks the kernel for, checked before asking, and
// the kernel's refusal explained; or the map at the spec's pin, checked to be the one it describes.

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

/** @internal A spec's map fd, what `BpfMap`'s constructor takes with it, and where to pin the map. */
export interface SpecMapFd<K, V> {
  readonly fd: number;
  readonly info: Pick<MapInfo, 'type' | 'keySize' | 'valueSize' | 'maxEntries' | 'mapFlags' | 'name'> & {
    id?: number;
  };
  readonly key: Codec<K>;
  readonly value: Codec<V>;
  /** The spec's pinning, for a map just created; undefined for one opened from its pin. */
  readonly pinning: MapPinning | undefined;
}

/**
 * @internal The map `spec` describes, for `BpfMap.create`: opened from its pin when
 * {@link reusablePin} finds one (checked to be that map), else created.
 * @throws MapSpecError, CodecError, MapCreateError as `BpfMap.create` documents;
 * PinnedMapMismatchError for a pinned map that differs from the spec
 */
export function specMapFd<K, V>(spec: MapSpec<K, V>): SpecMapFd<K, V> {
  checkObjectName(spec.name ?? '', 'name');
  const label = mapLabel(spec.type, spec.name ?? '');
  const { key, value, valueSize } = specCodecs(spec, label);
  const request = createRequest(spec, key.size, valueSize);
  const pinned = reusablePin(spec);
  if (pinned !== undefined) {
    // Reused only if it is the map this spec would create (as libbpf and cilium/ebpf check).
    const { type, maxEntries, flags: mapFlags, mapExtra } = request;
    const wanted = { type, keySize: key.size, valueSize, maxEntries, mapFlags, mapExtra };
    const fd = getPinned(pinned);
    const adopted = adoptMapFd(fd, { key, value }, (info) => assertReusable(pinned, info, wanted));
    return { fd, info: adopted.info, key: adopted.key, value: adopted.value, pinning: undefined };
  }
  const fd = createMapFd(label, spec, request);
  const info = {
    type: spec.type,
    keySize: key.size,
    valueSize,
    maxEntries: spec.maxEntries,
    mapFlags: request.flags,
    name: spec.name ?? '',
  };
  return { fd, info, key, value, pinning: spec.pinning };
}
