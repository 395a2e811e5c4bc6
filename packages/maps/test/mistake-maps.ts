import { HashMap, u32, u64 } from '../src/index.js';

/** The small named hash map most error-catalog entries misuse: `hash map 'counts'` in messages. */
export const counts = () => HashMap.create({ key: u32, value: u64, maxEntries: 2, name: 'counts' });
