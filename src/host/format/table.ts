/**
 * Aligned text tables (ANSI-aware widths): numbers right-aligned, text left-aligned. Given a
 * `maxWidth`, a table wider than that narrows its widest columns and wraps their cells onto more
 * lines, so every line fits the terminal.
 */
import { visibleLength, type Style } from './style.js';

export interface Column {
  header: string;
  align?: 'left' | 'right';
}

export interface TableOptions {
  indent?: number;
  gap?: number;
  style?: Style;
  /** Columns the table must fit in; undefined = as wide as its cells. */
  maxWidth?: number;
}

/** The narrowest a column gets when a table is narrowed. */
const MIN_COLUMN = 8;

function pad(s: string, width: number, align: 'left' | 'right'): string {
  const fill = ' '.repeat(Math.max(0, width - visibleLength(s)));
  return align === 'right' ? fill + s : s + fill;
}

const ANSI = /\x1b\[[0-9;]*m/g;

/** A cell's text over lines of at most `width` columns: lists (items two spaces apart) break between items first. */
export function wrapCell(text: string, width: number): string[] {
  if (visibleLength(text) <= width) return [text];
  const sep = text.includes('  ') ? '  ' : ' ';
  const words = text.split(sep).flatMap((w) => (visibleLength(w) > width && sep === '  ' ? w.split(' ') : [w]));
  const lines: string[] = [];
  let cur = '';
  for (const raw of words) {
    const w = visibleLength(raw) > width ? `${raw.replace(ANSI, '').slice(0, width - 1)}…` : raw;
    if (cur && visibleLength(cur) + sep.length + visibleLength(w) > width) {
      lines.push(cur);
      cur = w;
    } else cur = cur ? cur + sep + w : w;
  }
  lines.push(cur);
  return lines;
}

/** Column widths that fit `maxWidth`: the widest column gives way first, down to MIN_COLUMN (or its header). */
function fitWidths(columns: Column[], natural: number[], fixed: number, maxWidth: number | undefined): number[] {
  const widths = [...natural];
  if (maxWidth === undefined) return widths;
  const total = () => fixed + widths.reduce((a, b) => a + b, 0);
  while (total() > maxWidth) {
    let widest = -1;
    for (let i = 0; i < widths.length; i++) {
      const floor = Math.max(MIN_COLUMN, visibleLength(columns[i]!.header));
      if (widths[i]! > floor && (widest < 0 || widths[i]! > widths[widest]!)) widest = i;
    }
    if (widest < 0) break; // nothing left to narrow
    const floor = Math.max(MIN_COLUMN, visibleLength(columns[widest]!.header));
    widths[widest] = Math.max(floor, widths[widest]! - (total() - maxWidth));
  }
  return widths;
}

export function renderTable(columns: Column[], rows: string[][], opts: TableOptions = {}): string[] {
  const indent = ' '.repeat(opts.indent ?? 0);
  const gap = ' '.repeat(opts.gap ?? 2);
  const natural = columns.map((c, i) => Math.max(visibleLength(c.header), ...rows.map((r) => visibleLength(r[i] ?? ''))));
  const widths = fitWidths(columns, natural, indent.length + gap.length * (columns.length - 1), opts.maxWidth);
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
  const out = [line(columns.map((c) => c.header), true)];
  for (const r of rows) {
    const cells = columns.map((_, i) => wrapCell(r[i] ?? '', widths[i]!));
    const height = Math.max(...cells.map((c) => c.length));
    for (let k = 0; k < height; k++) out.push(line(cells.map((c) => c[k] ?? '')));
  }
  return out;
}

/** Thousands separators, the way the tables print counts. */
export function num(x: number): string {
  return x.toLocaleString('en-US');
}
