/** Human output of --diagnose: a check table, then each finding with evidence, cause, fix, and what does not work. */
import type { Diagnosis, Finding, Severity } from '../diagnose/types.js';
import type { Style } from './style.js';
import { renderTable } from './table.js';
import { wrap } from './wrap.js';

function severityText(s: Severity, style: Style): string {
  switch (s) {
    case 'critical':
      return style.bold(style.red('CRITICAL'));
    case 'warning':
      return style.yellow('WARNING');
    case 'notice':
      return style.cyan('notice');
    default:
      return style.green('ok');
  }
}

function renderFinding(f: Finding, style: Style, width: number): string[] {
  const sev = severityText(f.severity, style);
  const out = wrap(f.title, width, `${f.severity.toUpperCase()}  `, '  ').map((l, i) => (i === 0 ? `${sev}  ${style.bold(l.slice(f.severity.length + 2))}` : style.bold(l)));
  const section = (name: string, items: string[], bullet: (i: number) => string) => {
    if (items.length === 0) return;
    out.push(`  ${style.bold(name)}`);
    items.forEach((item, i) => {
      const b = bullet(i);
      out.push(...wrap(item, width, `    ${b}`, `    ${' '.repeat(b.length)}`));
    });
  };
  section('Evidence', f.evidence, () => '- ');
  out.push(`  ${style.bold('Cause')}`);
  out.push(...wrap(f.cause, width, '    ', '    '));
  section('Fix', f.fix, (i) => `${i + 1}. `);
  section('What does not work', f.doesNotWork, () => 'x ');
  return out;
}

/** `width` wraps the paragraphs; `maxWidth` (undefined when piped) bounds the check table too. */
export function renderDiagnosis(d: Diagnosis, header: string, style: Style, width = 100, maxWidth?: number): string {
  const lines = [header, ''];
  lines.push(
    ...renderTable(
      [{ header: 'CHECK' }, { header: 'STATUS' }, { header: 'READING' }],
      d.checks.map((c) => [c.name, severityText(c.severity, style), c.summary]),
      maxWidth === undefined ? { style } : { style, maxWidth },
    ),
  );
  const findings = d.checks.flatMap((c) => c.findings);
  const rank = { critical: 0, warning: 1, notice: 2 } as const;
  findings.sort((a, b) => rank[a.severity] - rank[b.severity]);
  if (findings.length === 0) {
    lines.push('', style.green('No problems found.'));
  }
  for (const f of findings) lines.push('', ...renderFinding(f, style, width));
  if (d.processMapping?.partial) {
    lines.push('', ...wrap(`process mapping partial: ${d.processMapping.denied} processes not readable (run as root to see every owner)`, width, '', '').map((l) => style.yellow(l)));
  }
  return lines.join('\n') + '\n';
}
