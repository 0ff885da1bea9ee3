/** The demo scenarios that exist for the diagram's rarer edges: each takes the edge it is named for, as the RFC says. */
import { describe, expect, it } from 'vitest';
import { EDGE_SCENARIOS } from '../../src/cli/demo/edge-scenarios.js';
import { runScenarios, type ScenarioResult } from '../../src/cli/demo/run.js';
import { findScenario } from '../../src/cli/demo/scenarios.js';

async function run(name: string): Promise<ScenarioResult> {
  const [r] = await runScenarios([findScenario(name)!], {});
  return r!;
}

function paths(r: ScenarioResult, host: string): string[] {
  return r.paths.filter((p) => p.host === host).map((p) => p.path.join(' > '));
}

function causeOf(r: ScenarioResult, from: string, to: string): unknown {
  return (r.transitions.find((t) => t.from === from && t.to === to) as unknown as { cause: unknown }).cause;
}

describe('edge scenarios', () => {
  it('abandoned-handshake: SYN_SENT → CLOSED on close; the SYN-ACK meets RST and the server goes SYN_RCVD → LISTEN → CLOSED', async () => {
    const r = await run('abandoned-handshake');
    expect(paths(r, '10.0.0.1')).toEqual(['CLOSED > SYN_SENT > CLOSED']);
    expect(paths(r, '10.0.0.2')).toEqual(['CLOSED > LISTEN > SYN_RCVD > LISTEN > CLOSED']);
    expect(causeOf(r, 'SYN_SENT', 'CLOSED')).toEqual({ kind: 'user', call: 'destroy' });
    expect(causeOf(r, 'SYN_RCVD', 'LISTEN')).toMatchObject({ kind: 'segment', flags: 'R' });
    expect(r.segments.map((s) => `${s.sender} ${s.flags}`)).toEqual(['client S', 'server S.', 'client R']);
  });

  it('close-in-syn-rcvd: a CLOSE in SYN_RCVD goes to FIN_WAIT_1 (§3.10.4) and ends in TIME_WAIT', async () => {
    const r = await run('close-in-syn-rcvd');
    expect(paths(r, '10.0.0.1')).toEqual(['CLOSED > SYN_SENT > SYN_RCVD > FIN_WAIT_1 > FIN_WAIT_2 > TIME_WAIT > CLOSED']);
    expect(causeOf(r, 'SYN_RCVD', 'FIN_WAIT_1')).toEqual({ kind: 'user', call: 'destroy' });
  });

  it('close-wait-reset: an abort in CLOSE_WAIT sends RST, the peer goes FIN_WAIT_2 → CLOSED', async () => {
    const r = await run('close-wait-reset');
    expect(paths(r, '10.0.0.2')).toEqual(['CLOSED > LISTEN > SYN_RCVD > ESTABLISHED > CLOSE_WAIT > CLOSED']);
    expect(paths(r, '10.0.0.1')).toEqual(['CLOSED > SYN_SENT > ESTABLISHED > FIN_WAIT_1 > FIN_WAIT_2 > CLOSED']);
    expect(causeOf(r, 'CLOSE_WAIT', 'CLOSED')).toEqual({ kind: 'user', call: 'resetAndDestroy' });
    expect(causeOf(r, 'FIN_WAIT_2', 'CLOSED')).toMatchObject({ kind: 'segment', flags: 'R.' });
  });

  it('reset-while-closing: an abort in FIN_WAIT_1 resets the peer, no TIME_WAIT anywhere', async () => {
    const r = await run('reset-while-closing');
    expect(paths(r, '10.0.0.1')).toEqual(['CLOSED > SYN_SENT > ESTABLISHED > FIN_WAIT_1 > CLOSED']);
    expect(paths(r, '10.0.0.2')).toEqual(['CLOSED > LISTEN > SYN_RCVD > ESTABLISHED > CLOSED']);
    expect(r.notes.join()).toContain('ECONNRESET');
  });

  it('fin-ack-at-once: the FIN that also acknowledges our FIN takes FIN_WAIT_1 straight to TIME_WAIT', async () => {
    const r = await run('fin-ack-at-once');
    expect(paths(r, '10.0.0.1')).toEqual(['CLOSED > SYN_SENT > ESTABLISHED > FIN_WAIT_1 > TIME_WAIT > CLOSED']);
    expect(r.segments.some((s) => s.sender === 'server' && s.dropped && s.flags === '.')).toBe(true);
    expect(causeOf(r, 'FIN_WAIT_1', 'TIME_WAIT')).toMatchObject({ kind: 'segment', flags: 'F.' });
  });

  it('closing-timeout: a FIN never acknowledged in CLOSING is given up on the retransmission timer', async () => {
    const r = await run('closing-timeout');
    expect(paths(r, '10.0.0.1')).toEqual(['CLOSED > SYN_SENT > ESTABLISHED > FIN_WAIT_1 > CLOSING > CLOSED']);
    expect(causeOf(r, 'CLOSING', 'CLOSED')).toEqual({ kind: 'timer', timer: 'retransmission' });
  });

  it("send-from-listen: RFC 793's SEND on a LISTEN connection sends a SYN (LISTEN → SYN_SENT)", async () => {
    const r = await run('send-from-listen');
    expect(paths(r, '10.0.0.1')[0]).toMatch(/^CLOSED > LISTEN > SYN_SENT > ESTABLISHED > FIN_WAIT_1/);
    expect(causeOf(r, 'LISTEN', 'SYN_SENT')).toEqual({ kind: 'user', call: 'send' });
    expect(r.segments[0]).toMatchObject({ sender: 'client', flags: 'S' });
  });

  it('restart-in-time-wait: EADDRINUSE without SO_REUSEADDR, listening with it, the TIME_WAIT record still there', async () => {
    const r = await run('restart-in-time-wait');
    expect(r.notes.slice(0, 2)).toEqual([
      'listen({ reuseAddr: false }) → EADDRINUSE: listen EADDRINUSE: address already in use 10.0.0.2:80',
      'listen(default) → listening on 10.0.0.2:80',
    ]);
    const restarted = r.counts.find((c) => c.label.startsWith('restarted'))!;
    expect(restarted.server).toEqual({ LISTEN: 1, TIME_WAIT: 1 });
    expect(causeOf(r, 'SYN_RCVD', 'CLOSED')).toEqual({ kind: 'stack', reason: 'listener closed' });
  });

  it('every edge scenario is covered by a test above', () => {
    expect(EDGE_SCENARIOS.map((s) => s.name)).toEqual([
      'abandoned-handshake',
      'close-in-syn-rcvd',
      'close-wait-reset',
      'reset-while-closing',
      'fin-ack-at-once',
      'closing-timeout',
      'send-from-listen',
      'restart-in-time-wait',
    ]);
  });
});
