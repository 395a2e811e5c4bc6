import { asciiText } from '@ts-ebpf/uapi';
import { decodeUtf8 } from './utf8.js';

/** Lookups decoded one by one before the whole section is decoded at once. */
const BULK_AFTER = 512;

/**
 * The string section of a BTF blob. The first few strings are decoded one at a
 * time (so opening and a first lookup stay cheap); after that an ASCII section is
 * decoded once into one JS string (with the runtime's TextDecoder when there is one)
 * and strings become slices of it.
 */
export class StringSection {
  private lookups = 0;
  private all: string | undefined;
  private readonly cache = new Map<number, string>();
  private ascii: boolean | undefined;

  /**
   * @param bytes - the whole BTF blob
   * @param start - absolute offset of the section
   * @param length - its length; the caller has checked it ends with a NUL
   */
  constructor(
    private readonly bytes: Uint8Array,
    private readonly start: number,
    readonly length: number,
  ) {}

  /** The NUL-terminated string at `rel` (0 ≤ rel < length). */
  get(rel: number): string {
    if (this.all !== undefined) return this.all.slice(rel, this.all.indexOf('\0', rel));
    const hit = this.cache.get(rel);
    if (hit !== undefined) return hit;
    if (++this.lookups > BULK_AFTER && this.decodeAll()) return this.get(rel);
    const at = this.start + rel;
    const s = decodeUtf8(this.bytes, at, this.bytes.indexOf(0, at));
    this.cache.set(rel, s);
    return s;
  }

  private decodeAll(): boolean {
    if (this.ascii === false) return false;
    const section = this.bytes.subarray(this.start, this.start + this.length);
    const Decoder = (globalThis as { TextDecoder?: new () => { decode(b: Uint8Array): string } }).TextDecoder;
    if (Decoder) {
      // UTF-8 decoding keeps one char per byte exactly when the length is unchanged
      const all = new Decoder().decode(section);
      this.ascii = all.length === section.length;
      if (this.ascii) {
        this.all = all;
        this.cache.clear();
      }
      return this.ascii;
    }
    const all = asciiText(section);
    this.ascii = all !== null;
    if (all !== null) {
      this.all = all;
      this.cache.clear();
    }
    return this.ascii;
  }
}
