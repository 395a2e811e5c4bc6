#!/usr/bin/env node
/**
 * `ts-ebpf-features [--json] [--helpers]`: prints what this kernel supports.
 */
import { features, type ProbeResult } from './features.js';

const args = new Set(process.argv.slice(2));
const report = features({ helpers: args.has('--helpers') });
if (args.has('--json')) {
  console.log(JSON.stringify(report, null, 2));
} else {
  console.log(`kernel ${report.kernel} (${report.arch})`);
  const section = (title: string, rows: Record<string, ProbeResult>) => {
    console.log(`\n${title}`);
    for (const [name, r] of Object.entries(rows)) {
      console.log(
        `  ${r.supported ? 'yes' : 'no '}  ${name.toLowerCase()}${r.reason ? `  (${r.reason})` : ''}`,
      );
    }
  };
  section('map types', report.mapTypes);
  section('program types', report.progTypes);
  section('attach types', report.attachTypes);
  if (report.helpers) {
    console.log('\nhelpers per program type');
    for (const [prog, names] of Object.entries(report.helpers))
      console.log(`  ${prog.toLowerCase()}: ${names.length}`);
  }
}
