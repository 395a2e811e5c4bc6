/**
 * Writes test/fixtures/format-golden.txt: `format` of {@link formatCorpus}. Run it only from a
 * formatter known to be right (it was run once, before the formatter was rewritten for speed):
 * `npx tsx --conditions=@ts-ebpf/source test/support/write-format-golden.ts`.
 * @module
 */
import { writeFileSync } from 'node:fs';
import { format } from '../../src/index.js';
import { formatCorpus } from './format-corpus.js';

const path = new URL('../fixtures/format-golden.txt', import.meta.url);
writeFileSync(path, format(formatCorpus()));
console.log(`wrote ${path.pathname}`);
