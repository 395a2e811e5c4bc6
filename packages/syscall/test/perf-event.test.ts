import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeKernel } from '@ts-ebpf/test-utils';
import { describe, expect, it } from 'vitest';
import {
  close,
  encodePerfEventAttr,
  fileRead,
  ioctl,
  PerfIoctl,
  PerfSwConfig,
  PerfType,
  perfEventOpen,
} from '../src/index.js';

describe('perf_event_attr encoding', () => {
  it('puts fields and flag bits where the C struct has them', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ts-ebpf-perf-'));
    const src = join(dir, 'p.c');
    writeFileSync(
      src,
      `#include <stdio.h>
#include <string.h>
#include <linux/perf_event.h>
int main(void){ struct perf_event_attr a; memset(&a,0,sizeof a);
a.type=PERF_TYPE_SOFTWARE; a.size=128; a.config=PERF_COUNT_SW_BPF_OUTPUT; a.sample_period=7;
a.sample_type=PERF_SAMPLE_RAW; a.disabled=1; a.exclude_kernel=1; a.freq=1; a.watermark=1; a.precise_ip=2;
a.write_backward=1;
a.wakeup_events=33; a.config2=0x1234;
unsigned char *p=(unsigned char*)&a; for (int i=0;i<128;i++) printf("%02x", p[i]); return 0; }`,
    );
    execFileSync('gcc', ['-o', join(dir, 'p'), src]);
    const c = execFileSync(join(dir, 'p'), { encoding: 'utf8' });
    const ours = encodePerfEventAttr({
      type: PerfType.SOFTWARE,
      config: PerfSwConfig.BPF_OUTPUT,
      samplePeriod: 7,
      sampleType: 1 << 10,
      disabled: true,
      excludeKernel: true,
      freq: true,
      watermark: true,
      precise: 2,
      writeBackward: true,
      wakeupEvents: 33,
      config2: 0x1234,
    });
    expect(Buffer.from(ours).toString('hex')).toBe(c);
  });
});

describeKernel('perf_event_open', () => {
  it('counts a software event of this process', () => {
    const fd = perfEventOpen(
      { type: PerfType.SOFTWARE, config: PerfSwConfig.TASK_CLOCK, disabled: true },
      0,
      -1,
    );
    try {
      ioctl(fd, PerfIoctl.RESET, 0);
      ioctl(fd, PerfIoctl.ENABLE, 0);
      let x = 0;
      for (let i = 0; i < 1e6; i++) x += i;
      ioctl(fd, PerfIoctl.DISABLE, 0);
      const value = new DataView(fileRead(fd, 8).buffer).getBigUint64(0, true);
      expect(value).toBeGreaterThan(0n);
      expect(x).toBeGreaterThan(0);
    } finally {
      close(fd);
    }
  });
});
