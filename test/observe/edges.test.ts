/** The demo's scenarios together take every edge of the state diagram, read from `synack demo --json`. */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { EDGES, edgeOf, pathEdges } from '../../src/observe/edges.js';

const CLI = join(import.meta.dirname, '..', '..', 'dist', 'src', 'cli', 'main.js');

interface Transition {
  host: string;
  from: string;
  to: string;
  edge: string | null;
  cause: { kind: string };
}
interface Run {
  name: string;
  transitions: Transition[];
  notes: string[];
  paths: { host: string; path: string[] }[];
}

let runs: Run[] = [];

beforeAll(() => {
  const r = spawnSync(process.execPath, [CLI, 'demo', '--json'], { encoding: 'utf8', timeout: 60_000, maxBuffer: 64 << 20 });
  expect(r.status, r.stderr).toBe(0);
  runs = (JSON.parse(r.stdout) as { scenarios: Run[] }).scenarios;
});

describe('the edge table (RFC 9293 Figure 5, RFC 793, and the resets)', () => {
  it('names each edge once, by its two states', () => {
    expect(new Set(EDGES.map((e) => e.id)).size).toBe(EDGES.length);
    for (const e of EDGES) expect(edgeOf(e.from, e.to)).toBe(e);
  });

  it('draws the two classic paths: the client from CLOSED back to CLOSED through TIME_WAIT, the server through LAST_ACK', () => {
    const walk = (path: 'client' | 'server') => pathEdges(path).map((e) => e.from).concat('CLOSED');
    expect(walk('client')).toEqual(['CLOSED', 'SYN_SENT', 'ESTABLISHED', 'FIN_WAIT_1', 'FIN_WAIT_2', 'TIME_WAIT', 'CLOSED']);
    expect(walk('server')).toEqual(['CLOSED', 'LISTEN', 'SYN_RCVD', 'ESTABLISHED', 'CLOSE_WAIT', 'LAST_ACK', 'CLOSED']);
  });
});

describe('synack demo --json takes every edge of the diagram', () => {
  it.each(EDGES.map((e) => [e.id, e.label]))('%s (%s)', (id) => {
    const takers = runs.filter((r) => r.transitions.some((t) => t.edge === id)).map((r) => r.name);
    expect(takers.length, `no scenario takes ${id}`).toBeGreaterThan(0);
  });

  it('takes no transition the diagram has no edge for', () => {
    const stray = runs.flatMap((r) => r.transitions.filter((t) => t.edge === null).map((t) => `${r.name}: ${t.from}>${t.to}`));
    expect(stray).toEqual([]);
  });

  it('tells the cause of every transition', () => {
    const unexplained = runs.flatMap((r) =>
      r.transitions.filter((t) => !['segment', 'timer', 'user', 'icmp', 'stack'].includes(t.cause.kind) || JSON.stringify(t.cause).includes('no cause recorded')).map((t) => `${r.name}: ${t.from}>${t.to}`),
    );
    expect(unexplained).toEqual([]);
  });
});

describe('restart-in-time-wait: "httpd cannot restart within 2MSL"', () => {
  it('listen({ reuseAddr: false }) fails with EADDRINUSE while the port has TIME_WAIT; the default listen() succeeds', () => {
    const r = runs.find((x) => x.name === 'restart-in-time-wait')!;
    expect(r.notes[0]).toMatch(/reuseAddr: false.*EADDRINUSE: listen EADDRINUSE: address already in use 10\.0\.0\.2:80/);
    expect(r.notes[1]).toMatch(/default.*listening on 10\.0\.0\.2:80/);
  });

  it('the server held TIME_WAIT on its port through the restart, and a handshake in progress was reset', () => {
    const r = runs.find((x) => x.name === 'restart-in-time-wait')!;
    const server = r.paths.filter((p) => p.host === '10.0.0.2').map((p) => p.path.join('>'));
    expect(server).toContain('CLOSED>LISTEN>SYN_RCVD>ESTABLISHED>FIN_WAIT_1>FIN_WAIT_2>TIME_WAIT>CLOSED');
    expect(server).toContain('CLOSED>LISTEN>SYN_RCVD>CLOSED');
  });
});
