export { type ByteView, byteViews, sameForEveryView } from './byte-views.js';
export { leakedFds, openFds } from './fds.js';
export { counterProgram, exit, insn, movR0, program, returns } from './insns.js';
export { describeKernel, itIfSupported, kernelRequired, kernelUnavailableReason } from './kernel.js';
export { catalog, type Mistake } from './mistakes.js';
export { VethPair } from './netns.js';
export { seededRandom } from './random.js';
