/** Human output of --sysctl: knob, current, default, classic advice, whether it still holds, and why. */
import type { AuditRow } from '../sysctl-audit.js';
import type { Verdict } from '../sysctl-knobs.js';
import type { Style } from './style.js';
import { renderTable } from './table.js';
import { wrap } from './wrap.js';

export function verdictText(v: Verdict, style: Style): string {
  switch (v) {
    case 'holds':
      return style.green('yes');
    case 'default':
      return style.green('yes (default)');
    case 'partly':
      return style.yellow('partly');
    case 'obsolete':
      return style.dim('obsolete');
    case 'wrong':
      return style.red('no');
    case 'none':
      return style.dim('—');
  }
}

/** `width` wraps the notes; `maxWidth` (undefined when piped) bounds the table too. */
export function renderSysctlAudit(rows: AuditRow[], header: string, style: Style, width = 100, maxWidth?: number): string {
  const table = renderTable(
    [{ header: 'KNOB' }, { header: 'CURRENT' }, { header: 'LINUX DEFAULT' }, { header: 'CLASSIC ADVICE' }, { header: 'STILL HOLDS?' }],
    rows.map((r) => [
      r.key.replace(/^net\./, ''),
      r.current === null ? style.dim('(absent)') : r.current,
      r.linuxDefault,
      r.advice,
      verdictText(r.verdict, style),
    ]),
    maxWidth === undefined ? { style } : { style, maxWidth },
  );
  const notes: string[] = [];
  for (const r of rows) {
    notes.push(`${style.bold(r.key.replace(/^net\./, ''))}${r.global ? style.dim(' (host-wide)') : ''}`);
    notes.push(...wrap(r.note, width, '    ', '    '));
    if (r.remark) notes.push(...wrap(`this host: ${r.remark}`, width, `    ${style.cyan('> ')}`, '      '));
  }
  return [header, '', ...table, '', ...notes, '', ...wrap('Read-only: synack never writes a sysctl. Apply changes with sysctl -w and persist them in /etc/sysctl.d/.', width, '', '').map((l) => style.dim(l))].join('\n') + '\n';
}
