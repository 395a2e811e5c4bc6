const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** Words a generated declaration may not be called (TypeScript keywords and this module's imports). */
const RESERVED = new Set(
  (
    'break case catch class const continue debugger default delete do else enum export extends false ' +
    'finally for function if import in instanceof new null return super switch this throw true try ' +
    'typeof var void while with as implements interface let package private protected public static ' +
    'yield any boolean number string symbol bigint object unknown never type await async ' +
    // Globals a generated module uses, or a reader would expect unshadowed.
    'Array ArrayBuffer BigInt Boolean DataView Date Disposable Error Exclude Extract Function JSON Map ' +
    'Math NonNullable Number Object Omit Partial Pick Promise Readonly ReadonlyArray Record RegExp ' +
    'ReturnType Set String Symbol TextDecoder TextEncoder URL Uint8Array WeakMap'
  ).split(' '),
);

/** True when `name` can be written bare as a property name or identifier. */
export function isIdentifier(name: string): boolean {
  return IDENTIFIER.test(name);
}

/**
 * `name` as a property key in an interface or object literal: bare when it can be, else quoted;
 * `__proto__` computed (`['__proto__']`), as bare or quoted in an object literal it sets the
 * object's prototype instead of making a property.
 */
export function propertyKey(name: string): string {
  if (name === '__proto__') return `[${quote(name)}]`;
  return isIdentifier(name) ? name : quote(name);
}

/** `object.name`, or `object['name']` for a name that is not an identifier. */
export function access(object: string, name: string): string {
  return isIdentifier(name) ? `${object}.${name}` : `${object}[${quote(name)}]`;
}

/** A single-quoted TypeScript string literal. */
export function quote(text: string): string {
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n')}'`;
}

/** `some_c_name` → `SomeCName` (a type name); a leading digit gets an underscore. */
export function pascalCase(name: string): string {
  const words = name.split(/[^A-Za-z0-9]+/).filter((w) => w !== '');
  const out = words.map((w) => w[0]!.toUpperCase() + w.slice(1)).join('');
  if (out === '') return 'Anon';
  return /^[0-9]/.test(out) ? `_${out}` : out;
}

/** `SomeName` → `someName` (a value name). */
export function camelCase(name: string): string {
  const p = pascalCase(name);
  return p.startsWith('_') ? p : p[0]!.toLowerCase() + p.slice(1);
}

/**
 * Hands out module-level identifiers, each once: a wanted name already taken (or reserved) gets
 * a numeric suffix (`Event2`), so every declaration has its own name whatever the object holds.
 */
export class NameTable {
  readonly #taken = new Set<string>(RESERVED);

  /** Marks names as taken without declaring them (imports, fixed names of the module). */
  reserve(...names: string[]): void {
    for (const n of names) this.#taken.add(n);
  }

  /** True when `name` is neither reserved nor claimed. */
  isFree(name: string): boolean {
    return !this.#taken.has(name);
  }

  /** A fresh identifier: the first free of `wanted` and `alternatives`, else `wanted2`, `wanted3` … */
  claim(wanted: string, ...alternatives: string[]): string {
    let name = [wanted, ...alternatives].find((n) => !this.#taken.has(n)) ?? wanted;
    for (let i = 2; this.#taken.has(name); i++) name = `${wanted}${i}`;
    this.#taken.add(name);
    return name;
  }
}
