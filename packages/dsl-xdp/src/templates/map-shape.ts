import type { MapRef } from '@ts-ebpf/dsl';
import { type BpfMapType, mapTypeName } from '@ts-ebpf/uapi';
import { XdpArgumentError } from '../errors.js';

/** The map a template needs: its type, and the sizes the template's code reads and writes. */
export interface MapShape {
  /** Map types that work (`BpfMapType.*`). */
  readonly types: readonly BpfMapType[];
  /** The key size the program builds on its stack, when it must be exact. */
  readonly keySize?: number;
  /** The value size the program reads or writes, when it must be exact. */
  readonly valueSize?: number;
  /** The fewest entries the program's keys need. */
  readonly minEntries?: number;
}

/** A map object that describes itself, as a `BpfMap` of `@ts-ebpf/maps` does. */
interface DescribedMap {
  readonly type?: unknown;
  readonly keySize?: unknown;
  readonly valueSize?: unknown;
  readonly maxEntries?: unknown;
}

const typeName = (t: number) => mapTypeName(t).toLowerCase();
const count = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);

/**
 * Checks a template's map option against what its code needs, as far as the map object says
 * (a map bound by name at assemble time, or a bare `{ fd }`, says nothing). A wrong map would
 * load and run without a word: lookups of keys past its end, or of a missing hash key, find
 * nothing, so nothing is counted or matched.
 * @throws XdpArgumentError naming the option, what the map is and what the template needs
 */
export function checkMapShape(map: MapRef, option: string, shape: MapShape): void {
  if (typeof map !== 'object' || map === null) return;
  const m = map as DescribedMap;
  const problems: string[] = [];
  if (count(m.type) && !(shape.types as readonly number[]).includes(m.type))
    problems.push(`its type is ${typeName(m.type)}, not ${shape.types.map(typeName).join(' or ')}`);
  if (shape.keySize !== undefined && count(m.keySize) && m.keySize !== shape.keySize)
    problems.push(`its keys are ${m.keySize} bytes, not ${shape.keySize}`);
  if (shape.valueSize !== undefined && count(m.valueSize) && m.valueSize !== shape.valueSize)
    problems.push(`its values are ${m.valueSize} bytes, not ${shape.valueSize}`);
  if (shape.minEntries !== undefined && count(m.maxEntries) && m.maxEntries < shape.minEntries)
    problems.push(`it has ${m.maxEntries} entries, fewer than the ${shape.minEntries} the template uses`);
  if (problems.length > 0) throw new XdpArgumentError(option, problems.join('; '));
}
