const encoder = new TextEncoder();

/**
 * A raw BTF blob from encoded type records (`struct btf_type` words and their trailers)
 * and a NUL-separated string section (which must start with `'\0'`). For the few fixed
 * blobs this package needs without depending on `@ts-ebpf/btf`.
 */
export function btfBlob(types: Uint32Array, strings: string): Uint8Array {
  const str = encoder.encode(strings);
  const storage = new ArrayBuffer(24 + types.byteLength + str.byteLength);
  const out = new Uint8Array(storage);
  const v = new DataView(storage);
  v.setUint16(0, 0xeb9f, true); // magic
  v.setUint8(2, 1); // version
  v.setUint32(4, 24, true); // hdr_len
  v.setUint32(8, 0, true); // type_off
  v.setUint32(12, types.byteLength, true); // type_len
  v.setUint32(16, types.byteLength, true); // str_off
  v.setUint32(20, str.byteLength, true); // str_len
  out.set(new Uint8Array(types.buffer, types.byteOffset, types.byteLength), 24);
  out.set(str, 24 + types.byteLength);
  return out;
}
