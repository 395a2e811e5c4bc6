/** A value `toJson` writes: what JSON can hold, plus bigint (written as a plain integer). */
export type JsonValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | readonly JsonValue[]
  | JsonMembers
  | { readonly [key: string]: JsonValue | undefined };

/**
 * An object whose member names may repeat: a struct's members as bpftool prints them, where
 * every anonymous member is named `""` (`{"":{…},"":{…}}`). Written in order, every member.
 */
export class JsonMembers {
  /** The members, in order: name and value. */
  readonly members: (readonly [string, JsonValue])[] = [];

  /** Appends a member. */
  add(name: string, value: JsonValue): this {
    this.members.push([name, value]);
    return this;
  }
}

/**
 * JSON text of `value`, on one line like `bpftool -j`. A bigint is written as the integer it
 * is (a u64 past 2^53 keeps every digit, as bpftool writes it); keys whose value is
 * `undefined` are left out; {@link JsonMembers} are written with every member, names repeated.
 */
export function toJson(value: JsonValue): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'bigint':
      return value.toString();
    case 'number':
      return Number.isFinite(value) ? String(value) : JSON.stringify(String(value));
    case 'boolean':
    case 'string':
      return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map((v) => toJson(v as JsonValue)).join(',')}]`;
  const parts: string[] = [];
  for (const [k, v] of value instanceof JsonMembers ? value.members : Object.entries(value)) {
    if (v !== undefined) parts.push(`${JSON.stringify(k)}:${toJson(v)}`);
  }
  return `{${parts.join(',')}}`;
}
