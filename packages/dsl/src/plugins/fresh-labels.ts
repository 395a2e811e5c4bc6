import type { Fragment } from '../labels.js';

let generated = 0;

/**
 * A label name no other call returns: `stem` followed by `$` and a counter (`.drop$7`).
 * Fragments that jump inside themselves take their labels from here, so the same fragment
 * can appear twice in one program without a duplicate label.
 */
export function freshLabel(stem: string): string {
  generated += 1;
  return `${stem}$${generated}`;
}

/** Gives each name a fresh label once, and the same label for the name after that. */
export type LabelScope = (name: string) => string;

/** A new {@link LabelScope}: `scope('drop')` is a fresh label, the same one on every call. */
export function labelScope(): LabelScope {
  const names = new Map<string, string>();
  return (name) => {
    let label = names.get(name);
    if (label === undefined) {
      label = freshLabel(name);
      names.set(name, label);
    }
    return label;
  };
}

/**
 * Wraps a fragment builder so that every call gets its own {@link LabelScope}: labels the
 * builder takes from `label(...)` are fresh per call.
 *
 * @example
 * const clamp = fragment((label, r: Register, max: number) => [
 *   jle(r, max, label('ok')), mov(r, max), mark(label('ok')),
 * ]);
 * program(clamp(R2, 10), clamp(R3, 20), exit()); // two distinct `ok` labels
 */
export function fragment<Args extends unknown[]>(
  build: (label: LabelScope, ...args: Args) => Fragment,
): (...args: Args) => Fragment {
  return (...args) => build(labelScope(), ...args);
}
