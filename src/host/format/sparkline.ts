/** One-line trend of a series with the eight block characters, scaled to the series' own range. */
const BARS = '▁▂▃▄▅▆▇█';

export function sparkline(values: readonly number[]): string {
  if (values.length === 0) return '';
  const min = Math.min(...values);
  const max = Math.max(...values);
  if (max === min) return (max === 0 ? BARS[0]! : BARS[3]!).repeat(values.length);
  return values.map((v) => BARS[Math.round(((v - min) / (max - min)) * (BARS.length - 1))]!).join('');
}

/** "+12", "-3", "0" */
export function signed(d: number): string {
  return d > 0 ? `+${d.toLocaleString('en-US')}` : d < 0 ? `-${(-d).toLocaleString('en-US')}` : '0';
}
