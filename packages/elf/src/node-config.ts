import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { parseKconfig } from './kconfig.js';

/** Reads this kernel's config from /proc/config.gz (or /boot/config-<release>). */
export function readKernelConfig(): Map<string, string> {
  try {
    return parseKconfig(gunzipSync(readFileSync('/proc/config.gz')).toString('utf8'));
  } catch {
    const release = readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim();
    return parseKconfig(readFileSync(`/boot/config-${release}`, 'utf8'));
  }
}
