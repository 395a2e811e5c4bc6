/** A map's scratch key (null for keyless maps) and value, each with a DataView of it. */
export interface ScratchBuffers {
  readonly key: Uint8Array | null;
  readonly keyView: DataView;
  readonly value: Uint8Array;
  readonly valueView: DataView;
}

/** Scratch buffers for keys of `keySize` and values of `valueSize` bytes (a value has at least one). */
export function scratchBuffers(keySize: number, valueSize: number): ScratchBuffers {
  const keyStorage = new ArrayBuffer(keySize);
  const valueStorage = new ArrayBuffer(Math.max(valueSize, 1));
  return {
    key: keySize === 0 ? null : new Uint8Array(keyStorage),
    keyView: new DataView(keyStorage),
    value: new Uint8Array(valueStorage),
    valueView: new DataView(valueStorage),
  };
}
