export { leakedFds, openFds } from './fds.js';
export { describeKernel, itIfSupported, kernelRequired, kernelUnavailableReason } from './kernel.js';
