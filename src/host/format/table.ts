/** Aligned text tables (ANSI-aware widths): numbers right-aligned, text left-aligned. */
import { visibleLength, type Style } from './style.js';

export interface Column {
  header: string;
  align?: 'left' | 'right';
}

export interface TableOptions {
  indent?: number;
  gap?: number;
  style?: Style;
}

function pad(s: string, width: number, align: 'left' | 'right'): string {
  const fill = ' '.repeat(Math.max(0, width - visibleLength(s)));
  return align === 'right' ? fill + s : s + fill;
}

export function renderTable(columns: Column[], rows: string[][], opts: TableOptions = {}): string[] {
  const indent = ' '.repeat(opts.indent ?? 0);
  const gap = ' '.repeat(opts.gap ?? 2);
  const widths = columns.map((c, i) => Math.max(visibleLength(c.header), ...rows.map((r) => visibleLength(r[i] ?? ''))));
  const line = (cells: string[], head = false) =>
    (
      indent +
      cells
        .map((c, i) => {
          const col = columns[i]!;
          const text = pad(c, widths[i]!, col.align ?? 'left');
          return head && opts.style ? opts.style.bold(text) : text;
        })
        .join(gap)
    ).trimEnd();
  return [line(columns.map((c) => c.header), true), ...rows.map((r) => line(r))];
}

/** Thousands separators, the way the tables print counts. */
export function num(x: number): string {
  return x.toLocaleString('en-US');
}
