/**
 * The state diagram as SVG, laid out as the classic figure (RFC 793 Figure 6, Stevens fig. 18.12):
 * opening at the top with the passive open down the middle, the client's active open on the right,
 * the active close down the left, the passive close down the right, CLOSED at the top and again at
 * the bottom. The client's path is drawn solid, the server's dashed; resets are dotted and faint
 * until taken. Each node shows its live count, each edge its count and a flash when taken.
 */
import { EDGES, type Edge } from '../../observe/edges.js';

const SVG = 'http://www.w3.org/2000/svg';
const W = 146;
const H = 36;

/** Node centres. 'CLOSED' is the top one; edges into CLOSED end at the bottom one (CLOSED_END) but for the figure's two. */
const AT: Record<string, [number, number]> = {
  CLOSED: [380, 34],
  LISTEN: [380, 128],
  SYN_RCVD: [130, 222],
  SYN_SENT: [630, 222],
  ESTABLISHED: [380, 316],
  FIN_WAIT_1: [130, 420],
  CLOSE_WAIT: [630, 420],
  CLOSING: [380, 470],
  FIN_WAIT_2: [130, 560],
  LAST_ACK: [630, 560],
  TIME_WAIT: [380, 610],
  CLOSED_END: [630, 680],
};

/** Edges into CLOSED that the figure draws back to the top box. */
const TO_TOP = new Set(['LISTEN>CLOSED', 'SYN_SENT>CLOSED']);

/** How far an edge bows from the straight line (px, to its left), so opposite and parallel edges part. */
const BEND: Record<string, number> = {
  'CLOSED>LISTEN': -30,
  'LISTEN>CLOSED': -30,
  'SYN_RCVD>LISTEN': 24,
  'LISTEN>SYN_RCVD': 24,
  'SYN_SENT>CLOSED': -40,
  'CLOSED>SYN_SENT': -50,
  'SYN_SENT>SYN_RCVD': 0,
  'FIN_WAIT_1>TIME_WAIT': -30,
  'ESTABLISHED>CLOSED': -40,
  'SYN_RCVD>CLOSED': 120,
  'FIN_WAIT_1>CLOSED': 70,
  'FIN_WAIT_2>CLOSED': 40,
  'CLOSE_WAIT>CLOSED': -90,
  'CLOSING>CLOSED': 30,
};

function el<K extends keyof SVGElementTagNameMap>(name: K, attrs: Record<string, string | number>, parent?: Element): SVGElementTagNameMap[K] {
  const e = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  parent?.appendChild(e);
  return e;
}

/** Where the segment from (x1,y1) towards (x2,y2) leaves a node box centred on (x1,y1). */
function clip(x1: number, y1: number, x2: number, y2: number): [number, number] {
  const dx = x2 - x1;
  const dy = y2 - y1;
  const t = Math.min(dx === 0 ? Infinity : W / 2 / Math.abs(dx), dy === 0 ? Infinity : H / 2 / Math.abs(dy));
  return [x1 + dx * t, y1 + dy * t];
}

function target(e: Edge): string {
  return e.to === 'CLOSED' && !TO_TOP.has(e.id) ? 'CLOSED_END' : e.to;
}

export interface Diagram {
  svg: SVGSVGElement;
  setCounts(counts: Record<string, number>, delta?: Record<string, number>): void;
  /** an edge was taken: its count goes up and it flashes */
  take(edge: string): void;
  /** host mode: edges cannot be known, hide their counts */
  hideEdges(): void;
  reset(): void;
}

export function buildDiagram(): Diagram {
  const svg = el('svg', { viewBox: '0 0 760 716', class: 'diagram', role: 'img', 'aria-label': 'TCP state diagram' });
  const defs = el('defs', {}, svg);
  for (const [id, color] of [['arrow', '#7a8494'], ['arrow-client', '#2563eb'], ['arrow-server', '#d97706'], ['arrow-lit', '#dc2626']] as const) {
    const m = el('marker', { id, viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 9, markerHeight: 9, markerUnits: 'userSpaceOnUse', orient: 'auto-start-reverse' }, defs);
    el('path', { d: 'M0,0 L10,5 L0,10 z', fill: color }, m);
  }
  const edgeLayer = el('g', { class: 'edges' }, svg);
  const nodeLayer = el('g', { class: 'nodes' }, svg);
  const edgeCounts = new Map<string, number>();
  const edgeEls = new Map<string, { g: SVGGElement; badge: SVGTextElement }>();

  for (const e of EDGES) {
    const [ax, ay] = AT[e.from]!;
    const [bx, by] = AT[target(e)]!;
    const bend = BEND[e.id] ?? 0;
    const len = Math.hypot(bx - ax, by - ay) || 1;
    const mx = (ax + bx) / 2 + (-(by - ay) / len) * bend;
    const my = (ay + by) / 2 + ((bx - ax) / len) * bend;
    const [sx, sy] = clip(ax, ay, mx, my);
    const [tx, ty] = clip(bx, by, mx, my);
    const g = el('g', { class: `edge ${e.source} path-${e.path}`, 'data-edge': e.id, 'data-count': 0 }, edgeLayer);
    const marker = e.path === 'client' ? 'arrow-client' : e.path === 'server' ? 'arrow-server' : 'arrow';
    el('path', { d: `M${sx},${sy} Q${mx},${my} ${tx},${ty}`, 'marker-end': `url(#${marker})`, class: 'line' }, g);
    // the label sits at the curve's midpoint
    const lx = (sx + 2 * mx + tx) / 4;
    const ly = (sy + 2 * my + ty) / 4;
    // a bowed edge's label leans away from its partner: towards the side it bows to
    const side = lx - (sx + tx) / 2;
    const anchor = side < -6 ? 'end' : side > 6 ? 'start' : 'middle';
    const title = el('title', {}, g);
    title.textContent = `${e.from} → ${e.to}: ${e.label}`;
    if (e.source !== 'reset') {
      const label = el('text', { x: lx + (anchor === 'end' ? -3 : anchor === 'start' ? 3 : 0), y: ly - 4, class: 'label', 'text-anchor': anchor }, g);
      label.textContent = e.label.length > 34 ? `${e.label.slice(0, 32)}…` : e.label;
    }
    const badge = el('text', { x: lx + (anchor === 'end' ? -3 : anchor === 'start' ? 3 : 0), y: ly + 10, class: 'badge', 'text-anchor': anchor }, g);
    edgeEls.set(e.id, { g, badge });
  }

  const countEls = new Map<string, { g: SVGGElement; count: SVGTextElement; delta: SVGTextElement }>();
  for (const [name, [x, y]] of Object.entries(AT)) {
    const state = name === 'CLOSED_END' ? 'CLOSED' : name;
    const g = el('g', { class: `state${state === 'CLOSED' ? ' closed' : ''}`, 'data-state': name === 'CLOSED_END' ? 'CLOSED_END' : state }, nodeLayer);
    el('rect', { x: x - W / 2, y: y - H / 2, width: W, height: H, rx: 8 }, g);
    const label = el('text', { x: state === 'CLOSED' ? x : x - 14, y: y + 5, class: 'name', 'text-anchor': 'middle' }, g);
    label.textContent = state;
    const count = el('text', { x: x + W / 2 - 8, y: y + 6, class: 'count', 'text-anchor': 'end' }, g);
    const delta = el('text', { x: x + W / 2 + 4, y: y - H / 2 + 2, class: 'delta' }, g);
    if (state !== 'CLOSED') countEls.set(state, { g, count, delta });
  }

  const lights = new Map<string, ReturnType<typeof setTimeout>>();
  return {
    svg,
    setCounts(counts, delta) {
      for (const [state, { g, count, delta: d }] of countEls) {
        const n = counts[state] ?? 0;
        count.textContent = String(n);
        g.setAttribute('data-count', String(n));
        g.classList.toggle('busy', n > 0);
        const dn = delta?.[state] ?? 0;
        d.textContent = delta && dn !== 0 ? (dn > 0 ? `+${dn}` : String(dn)) : '';
        d.setAttribute('class', `delta ${dn > 0 ? 'up' : 'down'}`);
      }
    },
    take(id) {
      const x = edgeEls.get(id);
      if (!x) return;
      const n = (edgeCounts.get(id) ?? 0) + 1;
      edgeCounts.set(id, n);
      x.g.setAttribute('data-count', String(n));
      x.badge.textContent = `×${n}`;
      x.g.classList.add('taken', 'lit');
      const old = lights.get(id);
      if (old) clearTimeout(old);
      lights.set(id, setTimeout(() => x.g.classList.remove('lit'), 900));
    },
    hideEdges() {
      svg.classList.add('no-edges');
    },
    reset() {
      edgeCounts.clear();
      for (const { g, badge } of edgeEls.values()) {
        g.setAttribute('data-count', '0');
        g.classList.remove('taken', 'lit');
        badge.textContent = '';
      }
      this.setCounts({});
    },
  };
}
