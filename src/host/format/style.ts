/** ANSI styling that switches itself off when output is not a terminal (or NO_COLOR is set). */

export interface Style {
  enabled: boolean;
  bold(s: string): string;
  dim(s: string): string;
  red(s: string): string;
  yellow(s: string): string;
  green(s: string): string;
  cyan(s: string): string;
}

const wrap = (on: boolean, open: string, close: string) => (s: string) => (on ? `\x1b[${open}m${s}\x1b[${close}m` : s);

export function makeStyle(enabled: boolean): Style {
  return {
    enabled,
    bold: wrap(enabled, '1', '22'),
    dim: wrap(enabled, '2', '22'),
    red: wrap(enabled, '31', '39'),
    yellow: wrap(enabled, '33', '39'),
    green: wrap(enabled, '32', '39'),
    cyan: wrap(enabled, '36', '39'),
  };
}

/** Colours for a stream: only a TTY, and never with NO_COLOR (https://no-color.org). */
export function styleFor(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): Style {
  return makeStyle(Boolean(stream.isTTY) && env.NO_COLOR === undefined && env.TERM !== 'dumb');
}

const ANSI = /\x1b\[[0-9;]*m/g;

export function visibleLength(s: string): number {
  return s.replace(ANSI, '').length;
}
