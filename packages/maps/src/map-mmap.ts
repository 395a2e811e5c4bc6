import { BpfMapCreateFlag, BpfSyscallError } from '@ts-ebpf/syscall';
import { Errno } from '@ts-ebpf/uapi';
import { MapAccessError, MapFrozenError, MapTypeError } from './errors.js';
import type { BpfMap } from './map.js';
import { fdAccess } from './map-access.js';
import { isFrozen } from './map-diagnosis.js';
import { MapType, mapTypeName } from './map-types.js';
import { MmapArray, type MmapOptions } from './mmap-array.js';

/**
 * Maps the values of `map` (`BpfMap.mmap`, which keeps the mapping to unmap on close);
 * `onClose` runs when the mapping is closed.
 * @throws MapTypeError when the map is not an array created with `BPF_F_MMAPABLE`
 * @throws MapFrozenError for a writable mapping of a frozen map
 * @throws MapAccessError when the map's fd is read-only (no mapping of it is possible)
 */
export function mmapValues<K, V>(map: BpfMap<K, V>, options: MmapOptions, onClose: () => void): MmapArray<V> {
  const fd = map.fd;
  if (map.type !== MapType.ARRAY || (map.flags & BpfMapCreateFlag.MMAPABLE) === 0) {
    throw new MapTypeError(
      'mmap',
      map.label(),
      map.type === MapType.ARRAY
        ? 'the array was not created with BPF_F_MMAPABLE (ArrayMap.create({ …, mmapable: true }))'
        : `only arrays created with BPF_F_MMAPABLE can be mapped, not ${mapTypeName(map.type)} maps`,
    );
  }
  try {
    return new MmapArray<V>(
      {
        fd,
        label: map.label(),
        maxEntries: map.maxEntries,
        valueSize: map.valueSize,
        valueCodec: map.valueCodec,
        onClose,
      },
      options,
    );
  } catch (e) {
    if (!(e instanceof BpfSyscallError)) throw e;
    // mmap(2) of a read-only file: a shared writable mapping is EACCES, and a shared read-only one
    // loses VM_SHARED, without which the kernel maps no BPF array (EINVAL)
    if ((e.errno === Errno.EACCES || e.errno === Errno.EINVAL) && fdAccess(fd) === 'read-only')
      throw new MapAccessError(
        map.label(),
        'read-only',
        'mmap',
        map.openedFrom(),
        e,
        'it cannot be mapped (a BPF array is only mapped shared, which a read-only file cannot be, even for reading)',
      );
    if (e.errno === Errno.EPERM && isFrozen(fd)) throw new MapFrozenError(map.label(), 'a writable mmap', e);
    throw e;
  }
}
