/**
 * The dashboard page: the state diagram with live counts and lit edges, the connection list, and
 * the selected connection's sequence diagram. It listens to /events (Server-Sent Events) in live
 * and host mode; in player mode it loads a recorded scenario run from /run and plays it in
 * virtual time: play, step one segment, pause, and a link that reproduces the run.
 */
import { connectionKey, type DashboardMessage, type HelloMessage, type PageRunner, type RecordedRun, type SegmentMessage } from '../protocol.js';
import { buildDiagram } from './diagram.js';
import { drawSequence } from './sequence.js';

interface Connection {
  key: string;
  /** the end that sent the first segment seen (drawn on the left), and the other */
  left: string;
  right: string;
  states: Record<string, string>;
  segments: SegmentMessage[];
}

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;

const diagram = buildDiagram();
$('diagram').appendChild(diagram.svg);
const conns = new Map<string, Connection>();
let selected: string | null = null;
let clock = 0;

/** A busy live server's page keeps this many connections; the oldest closed ones go first. */
const KEEP = 300;

function connection(a: string, b: string): Connection {
  const key = connectionKey(a, b);
  let c = conns.get(key);
  if (!c) {
    c = { key, left: a, right: b, states: {}, segments: [] };
    conns.set(key, c);
    if (conns.size > KEEP) forgetClosed();
  }
  return c;
}

function forgetClosed(): void {
  for (const [key, c] of conns) {
    if (conns.size <= KEEP) return;
    const states = Object.values(c.states);
    if (key !== selected && states.length > 0 && states.every((st) => st === 'CLOSED')) conns.delete(key);
  }
}

function setClock(t: number): void {
  clock = t;
  $('clock').textContent = `t = ${(t / 1000).toFixed(3)} s`;
}

function apply(m: DashboardMessage): void {
  switch (m.type) {
    case 'hello':
      return hello(m);
    case 'counts':
      diagram.setCounts(m.counts, m.delta);
      if (m.delta) {
        $('clock').textContent = `read ${new Date(m.t).toLocaleTimeString()}`;
        netstatLines(m.counts, m.delta);
      } else setClock(Math.max(clock, m.t));
      return;
    case 'transition': {
      if (m.edge) diagram.take(m.edge);
      const c = connection(m.local, m.remote);
      c.states[m.local] = m.to;
      setClock(Math.max(clock, m.t));
      renderConnections();
      if (selected === c.key) renderSelected();
      return;
    }
    case 'segment': {
      const c = connection(m.src, m.dst);
      // the end that sent the first segment (the SYN) is drawn on the left
      if (c.segments.length === 0) {
        c.left = m.src;
        c.right = m.dst;
      }
      c.segments.push(m);
      for (const [end, st] of Object.entries(m.states ?? {})) if (st) c.states[end] = st;
      setClock(Math.max(clock, m.t));
      if (selected === null) selected = c.key;
      renderConnections();
      if (selected === c.key) renderSelected();
      return;
    }
  }
}

/** Host mode: the classic one-liner, `netstat -n | awk '/^tcp/ {++S[$NF]} END {for(a in S) print a, S[a]}'`, made visible. */
function netstatLines(counts: Record<string, number>, delta: Record<string, number>): void {
  $('connections-title').textContent = "netstat -n | awk '/^tcp/ {++S[$NF]} END {for(a in S) print a, S[a]}'";
  const list = $('connections');
  list.replaceChildren();
  for (const [state, n] of Object.entries(counts).sort((a, b) => b[1] - a[1])) {
    const li = document.createElement('li');
    const d = delta[state] ?? 0;
    li.textContent = `${state.padEnd(12)} ${String(n).padStart(6)}${d ? `  (${d > 0 ? '+' : ''}${d})` : ''}`;
    list.appendChild(li);
  }
}

function renderConnections(): void {
  const list = $('connections');
  list.replaceChildren();
  for (const c of conns.values()) {
    const li = document.createElement('li');
    li.dataset.conn = c.key;
    li.className = c.key === selected ? 'selected' : '';
    li.textContent = `${c.left} ⇄ ${c.right}   ${c.states[c.left] ?? '?'} / ${c.states[c.right] ?? '?'}   ${c.segments.length} seg`;
    li.onclick = () => {
      selected = c.key;
      renderConnections();
      renderSelected();
    };
    list.appendChild(li);
  }
}

function renderSelected(): void {
  const c = selected ? conns.get(selected) : undefined;
  if (!c) return;
  $('selected-title').textContent = `${c.left} ⇄ ${c.right}`;
  drawSequence($('sequence'), c.left, c.right, c.segments);
}

function clearAll(): void {
  conns.clear();
  selected = null;
  diagram.reset();
  renderConnections();
  $('sequence').replaceChildren();
  $('selected-title').textContent = '';
  setClock(0);
}

// ===================== modes =====================

function hello(m: HelloMessage): void {
  document.body.dataset.mode = m.mode;
  $('title').textContent = m.title;
  if (m.mode === 'host') diagram.hideEdges();
  if (m.mode === 'player') setUpPlayer(m.scenarios ?? []);
}

/** The recorded run being played and how far. */
let run: RecordedRun | null = null;
let next = 0;
let timer: ReturnType<typeof setInterval> | null = null;

function setUpPlayer(scenarios: NonNullable<HelloMessage['scenarios']>): void {
  const select = $<HTMLSelectElement>('scenario');
  select.replaceChildren(
    ...scenarios.map((s) => {
      const o = document.createElement('option');
      o.value = s.name;
      o.textContent = `${s.name} — ${s.title}`;
      return o;
    }),
  );
  const q = new URLSearchParams(location.search);
  if (q.get('scenario')) select.value = q.get('scenario')!;
  for (const k of ['loss', 'delay', 'seed']) if (q.get(k) !== null) $<HTMLInputElement>(k).value = q.get(k)!;
  $('load').onclick = () => void load();
  $('play').onclick = play;
  $('step').onclick = step;
  $('pause').onclick = pause;
  $<HTMLSelectElement>('speed').onchange = () => {
    if (timer) {
      pause();
      play();
    }
  };
  void load().then(() => {
    if (q.get('autoplay') === '1') play();
  });
}

async function load(): Promise<void> {
  pause();
  const params = new URLSearchParams({
    scenario: $<HTMLSelectElement>('scenario').value,
    loss: $<HTMLInputElement>('loss').value,
    delay: $<HTMLInputElement>('delay').value,
    seed: $<HTMLInputElement>('seed').value,
  });
  const loaded = await runInPage(params);
  if (typeof loaded === 'string') {
    $('about').textContent = loaded;
    return;
  }
  run = loaded;
  next = 0;
  clearAll();
  $('about').textContent = run.about;
  $<HTMLAnchorElement>('link').href = `?${params}&autoplay=1`;
  $('progress').textContent = `0 / ${run.messages.length}`;
  document.body.dataset.player = 'loaded';
}

/**
 * Run the scenario here, in the page: the same stack and simulator as under Node (the browser build
 * of the core), in virtual time. `?runner=server` asks the dashboard's server for the run instead.
 */
async function runInPage(params: URLSearchParams): Promise<RecordedRun | string> {
  if (new URLSearchParams(location.search).get('runner') === 'server') {
    const res = await fetch(`/run?${params}`);
    return res.ok ? ((await res.json()) as RecordedRun) : res.text();
  }
  const n = (k: string, min: number, max: number): number | null => {
    const v = Number(params.get(k));
    return Number.isFinite(v) && v >= min && v <= max ? v : null;
  };
  const loss = n('loss', 0, 0.5);
  const delay = n('delay', 0, 10_000);
  const seed = n('seed', 0, 2 ** 32 - 1);
  if (loss === null || delay === null || seed === null) return 'loss must be 0 to 0.5, delay 0 to 10000 ms, seed 0 to 2^32-1';
  // loaded at run time, not bundled with the page's UI: the stack and simulator are their own bundle
  const url = '/runner.js';
  const runner = (await import(url)) as PageRunner;
  document.body.dataset.runner = 'page';
  return runner.run(params.get('scenario') ?? '', { loss, delay, seed });
}

/** Apply messages up to and including the next segment (or everything left when no segment is). */
function step(): void {
  if (!run) return;
  const msgs = run.messages;
  while (next < msgs.length) {
    const m = msgs[next++]!;
    apply(m);
    if (m.type !== 'segment') continue;
    // and what the segment caused at its receiver in the same instant
    while (next < msgs.length && msgs[next]!.type !== 'segment' && msgs[next]!.t === m.t) apply(msgs[next++]!);
    break;
  }
  $('progress').textContent = `${next} / ${run.messages.length}`;
  if (next >= run.messages.length) {
    pause();
    document.body.dataset.player = 'done';
  }
}

function play(): void {
  if (!run || timer) return;
  if (next >= run.messages.length) {
    next = 0;
    clearAll();
  }
  document.body.dataset.player = 'playing';
  timer = setInterval(step, Number($<HTMLSelectElement>('speed').value));
}

function pause(): void {
  if (timer) clearInterval(timer);
  timer = null;
  if (document.body.dataset.player === 'playing') document.body.dataset.player = 'paused';
}

// live and host mode stream; player mode says hello once
const events = new EventSource('/events');
events.onmessage = (e: MessageEvent<string>) => apply(JSON.parse(e.data) as DashboardMessage);
events.onerror = () => {
  $('status').textContent = 'disconnected';
};
events.onopen = () => {
  $('status').textContent = 'connected';
};
