/**
 * A `--pcap` capture of a curl run over TUN opens in tshark with no malformed packets and no TCP
 * analysis warnings. Notes and chats (SYN, FIN, "connection establish") are normal events, not
 * problems, and no warning is provoked on purpose here.
 *
 * Two things are told apart, so that a loaded machine cannot make the test flaky and a capture bug
 * cannot hide behind load:
 * - The capture is complete: it holds exactly the TCP segments the stack counted in and out
 *   (`synack_tcp_segments_{in,out}_total`, scraped from `--metrics` once the run is quiet). A
 *   segment the stack sent but the capture lacks is a capture bug, whatever else happened.
 * - The network may drop. Between synack and curl sit the kernel's queues (the TUN device's
 *   transmit queue, the receive backlog); on a loaded machine they overflow, curl SACKs what came
 *   after the hole, and tshark reports the loss (a lost or out-of-order segment, an ACK of what it
 *   never saw, duplicate ACKs). Such warnings are accepted only when the capture is complete and
 *   the stack's own counters show the repair (retransmissions); any other warning fails.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Netns, interopUnavailable, type Served } from './helpers.js';

const why = interopUnavailable(['curl', 'tshark']);

/** tshark's expert severities (epan/proto.h PI_*) */
const PI_WARN = 0x600000;

/**
 * The warnings by which tshark reports a loss (epan/dissectors/packet-tcp.c: tcp.analysis.lost_segment,
 * ack_lost_segment, out_of_order). A hole in the capture that the capture's own counts rule out
 * can only be a drop in the kernel's queues, and a segment that fills a hole late is out of order.
 */
const LOSS_SYMPTOMS = new Set([
  'Previous segment(s) not captured (common at capture start)',
  "ACKed segment that wasn't captured (common at capture start)",
  'This frame is a (suspected) out-of-order segment',
]);
/**
 * What a spurious retransmission (a tail loss probe whose original was not lost, RFC 8985 §7)
 * legitimately draws from the kernel: a D-SACK (RFC 2883), and, when the probe arrives after curl
 * has closed its socket, a RST for data to a closed socket (RFC 9293 §3.10.7.4; Linux
 * tcp_rcv_state_process). Accepted only from the kernel's side and only when the stack itself
 * counted the retransmission as spurious.
 */
const SPURIOUS_SYMPTOMS = new Set(['D-SACK Sequence', 'Connection reset (RST)']);

/** `name value` lines of a Prometheus text page, summed over labels. */
function parseMetrics(text: string): Map<string, number> {
  const m = new Map<string, number>();
  for (const line of text.split('\n')) {
    const hit = /^([a-z_]+)(?:\{[^}]*\})? ([0-9.e+-]+)$/.exec(line);
    if (hit) m.set(hit[1]!, (m.get(hit[1]!) ?? 0) + Number(hit[2]));
  }
  return m;
}

function tshark(args: string[]): string {
  const r = spawnSync('tshark', args, { encoding: 'utf8', timeout: 60_000, maxBuffer: 64 << 20 });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout;
}

describe.skipIf(why !== null)(`--pcap capture of a curl run is clean in tshark${why ? ` (skipped: ${why})` : ''}`, () => {
  const ns = new Netns();
  const dir = mkdtempSync(join(tmpdir(), 'synack-pcap-'));
  const file = join(dir, 'curl.pcap');
  const metricsUrl = 'http://127.0.0.1:9464/metrics'; // the namespace's own loopback
  let served: Served;
  /** the stack's counters once the run was quiet, just before the capture was closed */
  let counted = new Map<string, number>();

  beforeAll(async () => {
    ns.create();
    served = await ns.serve(['--tun', 'synack0', '--ip', '10.99.0.2', '--peer-ip', '10.99.0.1/24', '--pcap', file, '--services', 'http', '--metrics', '127.0.0.1:9464']);
  }, 45_000);

  afterAll(async () => {
    await ns.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  async function scrape(): Promise<Map<string, number>> {
    const r = await ns.run(['curl', '-sS', '--max-time', '5', metricsUrl]);
    expect(r.code, r.stderr).toBe(0);
    return parseMetrics(r.stdout.toString());
  }

  it('curl fetches / and /bytes/1000000 (keep-alive), then with Connection: close', async () => {
    const a = await ns.run(['curl', '-sS', '--max-time', '20', '-o', '/dev/null', 'http://10.99.0.2/', '-o', '/dev/null', 'http://10.99.0.2/bytes/1000000']);
    expect(a.code, a.stderr).toBe(0);
    const b = await ns.run(['curl', '-sS', '--max-time', '20', '-o', '/dev/null', '-H', 'Connection: close', 'http://10.99.0.2/bytes/1000000']);
    expect(b.code, b.stderr).toBe(0);
    // quiet: no TCP segment in or out between two scrapes (the closes' last ACKs have passed)
    const key = (m: Map<string, number>): string => `${m.get('synack_tcp_segments_in_total')}/${m.get('synack_tcp_segments_out_total')}`;
    let prev = await scrape();
    for (let i = 0; i < 50; i++) {
      await new Promise((r) => setTimeout(r, 200));
      const now = await scrape();
      const same = key(now) === key(prev);
      prev = now;
      if (same) break;
    }
    counted = prev;
    served.child.kill('SIGTERM'); // flushes and closes the capture
    expect(await served.out.exit(10_000)).toBe(0);
    expect(statSync(file).size).toBeGreaterThan(2_000_000);
  }, 60_000);

  it('the capture holds every TCP segment the stack counted, in and out', () => {
    expect(counted.get('synack_tcp_segments_out_total')).toBeGreaterThan(0);
    const dirs = tshark(['-r', file, '-Y', 'tcp', '-T', 'fields', '-e', 'ip.src']).trim().split('\n');
    const out = dirs.filter((s) => s === '10.99.0.2').length;
    expect({ in: dirs.length - out, out }).toEqual({
      in: counted.get('synack_tcp_segments_in_total'),
      out: counted.get('synack_tcp_segments_out_total'),
    });
  });

  it('tshark: no malformed packets, and no warnings or errors in its expert analysis but the repaired losses of a loaded kernel', () => {
    tshark(['-r', file, '-q', '-z', 'io,stat,0']);
    const malformed = tshark(['-r', file, '-Y', '_ws.malformed', '-T', 'fields', '-e', 'frame.number']).trim();
    expect(malformed).toBe('');
    // every flagged frame: number, source, seq, ack, then its expert items' severities and messages
    const flagged = tshark(['-r', file, '-Y', '_ws.expert.severity >= warning', '-T', 'fields', '-E', 'occurrence=a', '-E', 'aggregator=|', '-e', 'frame.number', '-e', 'ip.src', '-e', 'tcp.seq_raw', '-e', 'tcp.ack_raw', '-e', '_ws.expert.severity', '-e', '_ws.expert.message'])
      .trim()
      .split('\n')
      .filter(Boolean);
    const warnings: string[] = [];
    const spurious = (counted.get('synack_tcp_spurious_retransmits_total') ?? 0) > 0;
    for (const line of flagged) {
      const [, src = '', , , severities = '', messages = ''] = line.split('\t');
      const sev = severities.split('|').map(Number);
      messages.split('|').forEach((m, i) => {
        if ((sev[i] ?? 0) < PI_WARN) return;
        if (spurious && src === '10.99.0.1' && SPURIOUS_SYMPTOMS.has(m)) return;
        warnings.push(m);
      });
    }
    const detail = `${flagged.join('\n')}\ncounters: ${JSON.stringify(Object.fromEntries(counted))}`;
    // a loss is accepted only as a loss in the network: the capture is complete (the test above),
    // tshark names nothing but loss symptoms, and the stack repaired it by retransmitting
    expect(warnings.filter((w) => !LOSS_SYMPTOMS.has(w)), detail).toEqual([]);
    if (warnings.length > 0) expect(counted.get('synack_tcp_retransmits_total'), detail).toBeGreaterThan(0);
    // and it is really TCP with HTTP in it: two GETs for the first connection, one for the second
    const gets = tshark(['-r', file, '-Y', 'http.request.method == "GET"', '-T', 'fields', '-e', 'http.request.uri']);
    expect(gets.trim().split('\n')).toEqual(['/', '/bytes/1000000', '/bytes/1000000']);
  }, 60_000);
});
