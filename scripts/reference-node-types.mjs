#!/usr/bin/env node
/**
 * Puts `/// <reference types="node" />` at the top of every declaration file of a built package
 * (`.d.ts`, `.d.cts`) whose package depends on `@types/node`: its declarations import `node:events`
 * and `node:stream` and name `AbortSignal`. Since TypeScript 6 a project's `types` is empty unless
 * it lists `node`, so a consumer who type-checks without `"types": ["node"]` got errors inside
 * the package's own declarations ("Cannot find name 'node:events'", "Cannot find name
 * 'AbortSignal'"). With the directive the declarations bring the Node types they use themselves
 * (the bundler of the declarations, tsup's rollup-plugin-dts, drops one written in the sources).
 *
 * Usage: node scripts/reference-node-types.mjs <dist directory>
 */
import { rewriteDistWhenMain } from './rewrite-dist.mjs';

export const NODE_TYPES_REFERENCE = '/// <reference types="node" />';

/** The declaration text with the Node types reference first (unchanged when it has it). */
export function referenceNodeTypes(text) {
  return text.startsWith(NODE_TYPES_REFERENCE) ? text : `${NODE_TYPES_REFERENCE}\n${text}`;
}

rewriteDistWhenMain(import.meta.url, ['.d.ts', '.d.cts'], referenceNodeTypes);
