/**
 * How wide the demo draws: the full two-column diagram from 120 columns up, a compact one below
 * (one line per segment, the states at both ends abbreviated), and when nothing bounds the width
 * (output piped, no --width) the full diagram with nothing shortened, the same on every machine.
 */

/** Below this many columns the compact layout is used. */
export const FULL_LAYOUT_MIN = 120;

export interface Layout {
  kind: 'full' | 'compact';
  /** columns every line must fit in; undefined = unbounded (piped output) */
  width: number | undefined;
}

/** The layout for `--width` if given, else the terminal's columns, else (piped) the unbounded full layout. */
export function chooseLayout(width: number | undefined): Layout {
  if (width === undefined) return { kind: 'full', width: undefined };
  return { kind: width < FULL_LAYOUT_MIN ? 'compact' : 'full', width };
}

/** The compact layout's state names: at most 8 characters, one table for every state the library has. */
const SHORT_STATE: Record<string, string> = {
  ESTABLISHED: 'ESTAB',
  FIN_WAIT_1: 'FIN_WT1',
  FIN_WAIT_2: 'FIN_WT2',
  TIME_WAIT: 'TIME_WT',
  CLOSE_WAIT: 'CLOSE_WT',
};

export function shortState(s: string): string {
  return SHORT_STATE[s] ?? s;
}

/** The legend printed above a compact diagram, as words to wrap. */
export function shortStateLegend(): string[] {
  return Object.entries(SHORT_STATE).map(([long, short], i, all) => `${short}=${long}${i < all.length - 1 ? ',' : ''}`);
}

/**
 * A segment's text at a level of detail: 0 as tcpdump prints it, 1 with the timestamp values left
 * out (`TS`), 2 also without `nop`, 3 with `sackOK` and `wscale N` as `sack` and `wsN`. The caller
 * picks one level per diagram so its lines agree.
 */
export function detail(text: string, level: number): string {
  let t = text;
  if (level >= 1) t = t.replace(/TS val \d+ ecr \d+/g, 'TS');
  if (level >= 2) t = t.replace(/,nop(?=,|>)/g, '');
  if (level >= 3) t = t.replace(/sackOK/g, 'sack').replace(/wscale (\d+)/g, 'ws$1');
  return t;
}

export const DETAIL_LEVELS = 4;

/** Cut to `max` characters with an ellipsis. */
export function fit(text: string, max: number): string {
  if (text.length <= max) return text;
  return max <= 1 ? text.slice(0, Math.max(0, max)) : `${text.slice(0, max - 1)}…`;
}

/** Word wrap: `first` prefixes the first line, `rest` the others; a word longer than a line is cut. */
export function wrapWords(words: string[], width: number | undefined, first: string, rest: string, sep = ' '): string[] {
  if (width === undefined) return [first + words.join(sep)];
  const lines: string[] = [];
  let cur = first;
  let empty = true;
  for (const w of words) {
    if (!empty && cur.length + sep.length + w.length > width) {
      lines.push(cur + sep.trimEnd());
      cur = rest + w;
    } else {
      cur += (empty ? '' : sep) + w;
    }
    empty = false;
  }
  lines.push(cur);
  return lines.map((l) => fit(l, width));
}
