// TextDecoder is in every JavaScript runtime (WHATWG Encoding), but this pure package compiles
// with the ES library only, which does not type it: declare the part used here.

/** The part of the WHATWG TextDecoder this package uses. */
interface Utf8Decoder {
  decode(input?: Uint8Array, options?: { stream?: boolean }): string;
}

declare const TextDecoder: new (label?: string) => Utf8Decoder;

/** A new UTF-8 decoder (invalid sequences become U+FFFD). */
export function utf8Decoder(): Utf8Decoder {
  return new TextDecoder('utf-8');
}
