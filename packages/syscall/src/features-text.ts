import type { FeatureReport, ProbeResult } from './features.js';

/** How {@link formatFeatures} marks its text (colours, on a terminal); identity by default. */
export interface FeatureTextStyle {
  /** Section titles. */
  readonly title?: (s: string) => string;
  /** A supported feature's `yes`. */
  readonly yes?: (s: string) => string;
  /** An unsupported feature's `no`. */
  readonly no?: (s: string) => string;
}

const plain = (s: string) => s;

/**
 * A {@link FeatureReport} as text for people: the kernel, then one `yes`/`no` line per map
 * type, program type, attach type and misc feature (with the reason for a `no`), then the number of callable
 * helpers per program type when the report has them. `ts-ebpf-features` and `ts-ebpf features`
 * print this.
 */
export function formatFeatures(report: FeatureReport, style: FeatureTextStyle = {}): string {
  const title = style.title ?? plain;
  const yes = style.yes ?? plain;
  const no = style.no ?? plain;
  const lines = [`kernel ${report.kernel} (${report.arch})`];
  const section = (name: string, rows: Record<string, ProbeResult>) => {
    lines.push('', title(name));
    for (const [feature, r] of Object.entries(rows)) {
      const mark = r.supported ? yes('yes') : no('no ');
      lines.push(`  ${mark}  ${feature.toLowerCase()}${r.reason ? `  (${r.reason})` : ''}`);
    }
  };
  section('map types', report.mapTypes);
  section('program types', report.progTypes);
  section('attach types', report.attachTypes);
  section('misc', { ...report.misc });
  if (report.helpers) {
    lines.push('', title('helpers per program type'));
    for (const [prog, names] of Object.entries(report.helpers))
      lines.push(`  ${prog.toLowerCase()}: ${names.length}`);
  }
  return `${lines.join('\n')}\n`;
}
