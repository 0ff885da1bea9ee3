/** Word wrap for paragraphs in a terminal: `first` prefixes the first line, `rest` the others. */
import { visibleLength } from './style.js';
export function wrap(text: string, width: number, first: string, rest: string): string[] {
  const words = text.split(/\s+/).filter(Boolean);
  const lines: string[] = [];
  let cur = first;
  let empty = true;
  for (const w of words) {
    if (!empty && cur.length + 1 + w.length > width) {
      lines.push(cur);
      cur = rest + w;
    } else {
      cur += (empty ? '' : ' ') + w;
    }
    empty = false;
  }
  lines.push(cur);
  return lines;
}

/** Parts joined by `sep`, broken onto more lines (each after the first indented by `rest`) to fit `width`; unbounded: one line. */
export function joinFitting(parts: string[], sep: string, width: number | undefined, rest = '  '): string[] {
  if (width === undefined) return [parts.join(sep)];
  const lines: string[] = [];
  let cur = '';
  for (const p of parts) {
    if (cur && visibleLength(cur) + visibleLength(sep) + visibleLength(p) > width) {
      lines.push(cur + sep.trimEnd());
      cur = rest + p;
    } else cur = cur ? cur + sep + p : p;
  }
  lines.push(cur);
  return lines;
}
