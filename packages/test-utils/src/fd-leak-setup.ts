import { afterAll, beforeAll } from 'vitest';
import { leakedFds, openFds } from './fds.js';

// Every test file checks that the kernel objects it opened (bpf maps, programs,
// links, perf events, epoll instances, sockets) are all closed again by its end.
let before = new Map<number, string>();

beforeAll(() => {
  before = openFds();
});

afterAll(() => {
  const leaked = leakedFds(before);
  if (leaked.length > 0) {
    throw new Error(`file descriptors leaked by this test file:\n  ${leaked.join('\n  ')}`);
  }
});
