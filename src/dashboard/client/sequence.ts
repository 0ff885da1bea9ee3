/**
 * One connection's sequence diagram, as the demo draws it in the terminal: the two ends as
 * lifelines, each segment an arrow with its flags, seq:end(len), ack and window, both ends' state
 * after it at the sides, lost segments dashed and crossed out.
 */
import type { SegmentMessage } from '../protocol.js';

const SVG = 'http://www.w3.org/2000/svg';
const ROW = 30;
const LEFT = 150;
const RIGHT = 470;

function el<K extends keyof SVGElementTagNameMap>(name: K, attrs: Record<string, string | number>, parent: Element): SVGElementTagNameMap[K] {
  const e = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  parent.appendChild(e);
  return e;
}

/** tcpdump-ish: `S 0:0(0) win 65535`, `P. 1:6(5) ack 1 win 502`. */
export function segmentLabel(s: SegmentMessage): string {
  const end = (s.seq + s.len) >>> 0;
  return `${s.flags} ${s.seq}:${end}(${s.len})${s.flags.includes('.') ? ` ack ${s.ack}` : ''} win ${s.win}`;
}

/** Draw `segments` between `left` and `right` ("addr:port") into `host`, replacing what was there. */
export function drawSequence(host: Element, left: string, right: string, segments: readonly SegmentMessage[]): void {
  host.replaceChildren();
  const height = 50 + segments.length * ROW + 10;
  const svg = el('svg', { viewBox: `0 0 620 ${height}`, class: 'sequence', width: '100%' }, host);
  const head = (x: number, text: string): void => {
    const t = el('text', { x, y: 18, class: 'end', 'text-anchor': 'middle' }, svg);
    t.textContent = text;
    el('line', { x1: x, y1: 28, x2: x, y2: height - 6, class: 'lifeline' }, svg);
  };
  head(LEFT, left);
  head(RIGHT, right);
  segments.forEach((s, i) => {
    const y = 44 + i * ROW;
    const toRight = s.src === left;
    const [x1, x2] = toRight ? [LEFT, RIGHT] : [RIGHT, LEFT];
    const g = el('g', { class: `seg${s.dropped ? ' dropped' : ''}`, 'data-flags': s.flags, 'data-index': i, ...(s.dropped ? { 'data-dropped': 'true' } : {}) }, svg);
    const yEnd = y + ROW - 10;
    // a lost segment stops short of the other end, crossed out
    const xEnd = s.dropped ? x1 + (x2 - x1) * 0.6 : x2;
    const yStop = s.dropped ? y + (yEnd - y) * 0.6 : yEnd;
    el('line', { x1, y1: y, x2: xEnd, y2: yStop, class: 'arrow', 'marker-end': s.dropped ? '' : 'url(#seq-arrow)' }, g);
    if (s.dropped) {
      const cx = xEnd;
      const cy = yStop;
      el('path', { d: `M${cx - 6},${cy - 6} L${cx + 6},${cy + 6} M${cx - 6},${cy + 6} L${cx + 6},${cy - 6}`, class: 'cross' }, g);
    }
    const label = el('text', { x: (LEFT + RIGHT) / 2, y: y + 8, class: 'seglabel', 'text-anchor': 'middle' }, g);
    label.textContent = `${segmentLabel(s)}${s.dropped ? '  (lost)' : ''}`;
    const t = el('text', { x: 6, y: yEnd + 4, class: 'time' }, g);
    t.textContent = `${(s.t / 1000).toFixed(3)} s`;
    const st = s.states ?? {};
    const ls = el('text', { x: LEFT - 8, y: yEnd + 4, class: 'state-after', 'text-anchor': 'end' }, g);
    ls.textContent = st[left] ?? '';
    const rs = el('text', { x: RIGHT + 8, y: yEnd + 4, class: 'state-after' }, g);
    rs.textContent = st[right] ?? '';
  });
  const defs = el('defs', {}, svg);
  const m = el('marker', { id: 'seq-arrow', viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto' }, defs);
  el('path', { d: 'M0,0 L10,5 L0,10 z', fill: '#334155' }, m);
}
