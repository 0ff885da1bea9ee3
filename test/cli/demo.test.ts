import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runScenarios, type ScenarioResult } from '../../src/cli/demo/run.js';
import { SCENARIOS, findScenario } from '../../src/cli/demo/scenarios.js';
import { EDGE_SCENARIOS } from '../../src/cli/demo/edge-scenarios.js';

const CLI = join(process.cwd(), 'dist/src/cli/main.js');
const TSHARK = '/usr/bin/tshark';

async function run(name: string): Promise<ScenarioResult> {
  const [r] = await runScenarios([findScenario(name)!], {});
  return r!;
}

function pathOf(r: ScenarioResult, host: string): string[] {
  const p = r.paths.filter((x) => x.host === host);
  expect(p).toHaveLength(1);
  return p[0]!.path;
}

const ACTIVE_CLOSE = ['ESTABLISHED', 'FIN_WAIT_1', 'FIN_WAIT_2', 'TIME_WAIT', 'CLOSED'];
const PASSIVE_CLOSE = ['ESTABLISHED', 'CLOSE_WAIT', 'LAST_ACK', 'CLOSED'];
const CLIENT_OPEN = ['CLOSED', 'SYN_SENT'];
const SERVER_OPEN = ['CLOSED', 'LISTEN', 'SYN_RCVD'];

describe('synack demo scenarios: the state paths the classic texts draw', () => {
  it('handshake-and-close: the client path ends in TIME_WAIT, the server path in LAST_ACK → CLOSED', async () => {
    const r = await run('handshake-and-close');
    expect(pathOf(r, '10.0.0.1')).toEqual([...CLIENT_OPEN, ...ACTIVE_CLOSE]);
    expect(pathOf(r, '10.0.0.2')).toEqual([...SERVER_OPEN, ...PASSIVE_CLOSE]);
    expect(r.segments.slice(0, 3).map((s) => s.flags)).toEqual(['S', 'S.', '.']);
    const fin = r.segments.find((s) => s.flags.startsWith('F') && s.sender === 'client')!;
    const finAck = r.segments.find((s) => s.sender === 'server' && s.t >= fin.t && s.ack === fin.seq + 1);
    expect(finAck, 'the FIN takes one sequence number: ack = FIN seq + 1').toBeDefined();
    expect(r.counts[0]).toMatchObject({ client: { TIME_WAIT: 1 }, server: { LISTEN: 1 } });
    const tw = r.transitions.find((t) => t.to === 'TIME_WAIT')!;
    const closed = r.transitions.find((t) => t.from === 'TIME_WAIT')!;
    expect(closed.t - tw.t).toBe(60_000);
  });

  it('server-closes-first: the server holds TIME_WAIT', async () => {
    const r = await run('server-closes-first');
    expect(pathOf(r, '10.0.0.2')).toEqual([...SERVER_OPEN, ...ACTIVE_CLOSE]);
    expect(pathOf(r, '10.0.0.1')).toEqual([...CLIENT_OPEN, ...PASSIVE_CLOSE]);
    expect(r.counts[0]!.server).toEqual({ LISTEN: 1, TIME_WAIT: 1 });
  });

  it('half-close: the server sends in CLOSE_WAIT and the client reads in FIN_WAIT_2', async () => {
    const r = await run('half-close');
    expect(pathOf(r, '10.0.0.1')).toEqual([...CLIENT_OPEN, ...ACTIVE_CLOSE]);
    expect(pathOf(r, '10.0.0.2')).toEqual([...SERVER_OPEN, ...PASSIVE_CLOSE]);
    const dataInCloseWait = r.segments.filter((s) => s.sender === 'server' && s.len > 0 && s.states[1] === 'CLOSE_WAIT');
    expect(dataInCloseWait.length).toBe(3);
    expect(r.notes.join()).toContain('chunk 1\\nchunk 2\\nchunk 3');
  });

  it('simultaneous-open: both sides go SYN_SENT → SYN_RCVD → ESTABLISHED', async () => {
    const r = await run('simultaneous-open');
    for (const host of ['10.0.0.1', '10.0.0.2']) {
      expect(pathOf(r, host).slice(0, 4)).toEqual(['CLOSED', 'SYN_SENT', 'SYN_RCVD', 'ESTABLISHED']);
    }
    expect(r.segments.filter((s) => s.flags === 'S').length).toBe(2);
    expect(r.segments.filter((s) => s.flags === 'S.').length).toBe(2);
  });

  it('simultaneous-close: both sides go FIN_WAIT_1 → CLOSING → TIME_WAIT', async () => {
    const r = await run('simultaneous-close');
    const tail = ['ESTABLISHED', 'FIN_WAIT_1', 'CLOSING', 'TIME_WAIT', 'CLOSED'];
    expect(pathOf(r, '10.0.0.1')).toEqual([...CLIENT_OPEN, ...tail]);
    expect(pathOf(r, '10.0.0.2')).toEqual([...SERVER_OPEN, ...tail]);
  });

  it('lost-final-ack: the server retransmits its FIN and TIME_WAIT acknowledges it again', async () => {
    const r = await run('lost-final-ack');
    expect(pathOf(r, '10.0.0.2')).toEqual([...SERVER_OPEN, ...PASSIVE_CLOSE]);
    expect(r.segments.filter((s) => s.dropped)).toHaveLength(1);
    const serverFins = r.segments.filter((s) => s.sender === 'server' && s.flags.startsWith('F'));
    expect(serverFins).toHaveLength(2);
    const reAck = r.segments.find((s) => s.sender === 'client' && s.t >= serverFins[1]!.t && !s.dropped);
    expect(reAck?.states[0]).toBe('TIME_WAIT');
    // 2MSL restarts from the retransmitted FIN
    const tw = r.transitions.find((t) => t.from === 'TIME_WAIT')!;
    expect(tw.t).toBe(serverFins[1]!.t + 60_000);
  });

  it('rst-abort: one RST closes both sides, no TIME_WAIT, the server sees ECONNRESET', async () => {
    const r = await run('rst-abort');
    expect(pathOf(r, '10.0.0.1')).toEqual([...CLIENT_OPEN, 'ESTABLISHED', 'CLOSED']);
    expect(pathOf(r, '10.0.0.2')).toEqual([...SERVER_OPEN, 'ESTABLISHED', 'CLOSED']);
    expect(r.segments.some((s) => s.flags.startsWith('R'))).toBe(true);
    expect(r.notes.join()).toContain('ECONNRESET');
  });

  it('refused: RST answers the SYN and connect fails with ECONNREFUSED', async () => {
    const r = await run('refused');
    expect(pathOf(r, '10.0.0.1')).toEqual(['CLOSED', 'SYN_SENT', 'CLOSED']);
    expect(r.segments.map((s) => s.flags)).toEqual(['S', 'R.']);
    expect(r.notes.join()).toContain('ECONNREFUSED');
  });

  it('syn-timeout: six retries at 1, 2, 4, 8, 16, 32 s of backoff, ETIMEDOUT at 127 s', async () => {
    const r = await run('syn-timeout');
    expect(pathOf(r, '10.0.0.1')).toEqual(['CLOSED', 'SYN_SENT', 'CLOSED']);
    const syns = r.segments.filter((s) => s.flags === 'S');
    expect(syns.map((s) => s.t)).toEqual([0, 1000, 3000, 7000, 15000, 31000, 63000]);
    expect(r.transitions.at(-1)!.t).toBe(127_000);
    expect(r.notes.join()).toContain('ETIMEDOUT');
  });

  it('keepalive: probes are SND.UNA − 1 and three unanswered probes reset the connection', async () => {
    const r = await run('keepalive');
    expect(pathOf(r, '10.0.0.1')).toEqual([...CLIENT_OPEN, 'ESTABLISHED', 'CLOSED']);
    const probes = r.segments.filter((s) => s.sender === 'client' && s.flags === '.' && s.seq === 0 && s.t > 1000);
    expect(probes.length).toBe(4);
    expect(r.segments.at(-1)!.flags).toBe('R.');
    expect(r.notes.join()).toContain('ETIMEDOUT');
  });

  it('zero-window: the server advertises win 0, the client probes, and the transfer completes', async () => {
    const r = await run('zero-window');
    expect(r.segments.some((s) => s.sender === 'server' && s.win === 0)).toBe(true);
    expect(r.notes.join()).toContain('server read 40000 bytes');
    expect(pathOf(r, '10.0.0.1')).toEqual([...CLIENT_OPEN, ...ACTIVE_CLOSE]);
  });

  it('every scenario is covered by a test above (the edge scenarios: test/observe/edge-scenarios.test.ts)', () => {
    expect(SCENARIOS.filter((s) => !EDGE_SCENARIOS.includes(s)).map((s) => s.name).sort()).toEqual(
      [
        'handshake-and-close',
        'server-closes-first',
        'half-close',
        'simultaneous-open',
        'simultaneous-close',
        'lost-final-ack',
        'rst-abort',
        'refused',
        'syn-timeout',
        'keepalive',
        'zero-window',
      ].sort(),
    );
  });
});

describe('synack demo on the command line', () => {
  it('--json prints the whole tour as one JSON object with transitions and segments', () => {
    const out = execFileSync(process.execPath, [CLI, 'demo', '--json'], { encoding: 'utf8' });
    const body = JSON.parse(out) as { scenarios: { name: string; transitions: Record<string, unknown>[]; segments: Record<string, unknown>[] }[] };
    expect(body.scenarios).toHaveLength(SCENARIOS.length);
    const first = body.scenarios[0]!;
    expect(Object.keys(first.transitions[0]!)).toEqual(expect.arrayContaining(['t', 'host', 'local', 'remote', 'from', 'to']));
    expect(Object.keys(first.segments[0]!)).toEqual(expect.arrayContaining(['t', 'src', 'dst', 'flags', 'seq', 'ack', 'win', 'len', 'options']));
  });

  it('--json --scenario has the same shape as the tour: { scenarios: [one] }, lost segments marked', () => {
    const out = execFileSync(process.execPath, [CLI, 'demo', '--json', '--scenario', 'lost-final-ack'], { encoding: 'utf8' });
    const body = JSON.parse(out) as { scenarios: { name: string; segments: { dropped?: boolean }[] }[] };
    expect(Object.keys(body)).toEqual(['scenarios']);
    expect(body.scenarios).toHaveLength(1);
    expect(body.scenarios[0]!.name).toBe('lost-final-ack');
    expect(body.scenarios[0]!.segments.filter((s) => s.dropped === true)).toHaveLength(1);
  });

  it('plain text when stdout is not a terminal, with the diagram and the netstat counts', () => {
    const out = execFileSync(process.execPath, [CLI, 'demo', '--scenario', 'handshake-and-close'], { encoding: 'utf8' });
    expect(out).not.toContain('\x1b[');
    expect(out).toContain('──▶');
    expect(out).toContain('TIME_WAIT 1');
  });

  it('an unknown scenario is a one-line error and exit code 1', () => {
    let code = 0;
    let err = '';
    try {
      execFileSync(process.execPath, [CLI, 'demo', '--scenario', 'nope'], { encoding: 'utf8', stdio: 'pipe' });
    } catch (e) {
      code = (e as { status: number }).status;
      err = (e as { stderr: string }).stderr;
    }
    expect(code).toBe(1);
    expect(err).toContain('unknown scenario "nope"');
  });

  it.skipIf(!existsSync(TSHARK))('--pcap writes a capture tshark reads with no malformed packets or bad checksums', () => {
    const dir = mkdtempSync(join(tmpdir(), 'synack-demo-'));
    try {
      const file = join(dir, 'tour.pcap');
      execFileSync(process.execPath, [CLI, 'demo', '--pcap', file, '--loss', '0.1', '--seed', '3'], { encoding: 'utf8' });
      const all = execFileSync(TSHARK, ['-r', file], { encoding: 'utf8' });
      expect(all.split('\n').filter(Boolean).length).toBeGreaterThan(50);
      const bad = execFileSync(
        TSHARK,
        // the capture holds the packets the link lost as well as their retransmissions: tshark's
        // stream reassembly calls such a pair "overlapping" although the bytes are the same, so it
        // is off; headers and checksums are still checked packet by packet
        ['-r', file, '-o', 'tcp.desegment_tcp_streams:FALSE', '-o', 'ip.check_checksum:TRUE', '-o', 'tcp.check_checksum:TRUE', '-Y', '_ws.malformed || ip.checksum.status == "Bad" || tcp.checksum.status == "Bad"'],
        { encoding: 'utf8' },
      );
      expect(bad.trim()).toBe('');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
