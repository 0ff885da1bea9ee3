/**
 * Issue 10, item 3: the whole receive path fuzzed — IP parse → reassembly → demux → TCB — against a
 * stack holding connections in every one of the eleven states, with a legitimate transfer running
 * alongside (bench/fuzz). After every input: nothing thrown, every state one of the eleven, every
 * connection with anything outstanding has a timer filed with the stack, every packet out decodes,
 * every legitimate transfer byte-exact.
 *
 *   - a bounded run of at least 200,000 inputs (SYNACK_FUZZ_INPUTS, SYNACK_FUZZ_SEED; CI replays a
 *     fixed seed); `npm run fuzz -- --seed N --seconds S` runs it without a bound;
 *   - every input that ever found a bug, kept in test/fuzz/corpus/, replayed;
 *   - the oracles themselves: each catches the fault it is there for.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { TCP_STATES } from '../../src/tcp/state.js';
import { encodeTcpPacketV4, encodeTcpPacketV6 } from '../../src/wire/packet.js';
import { ACK, PSH } from '../../src/wire/segment.js';
import { fromStored, replay, runFuzz, type StoredFinding } from '../../bench/fuzz/engine.js';
import { conns, L_ADDR, S_ADDR, World } from '../../bench/fuzz/world.js';

const INPUTS = Number(process.env.SYNACK_FUZZ_INPUTS ?? 200_000);
const SEED = Number(process.env.SYNACK_FUZZ_SEED ?? (process.env.CI ? 20261202 : (Date.now() & 0x7fffffff)));
const CORPUS = join(dirname(fileURLToPath(import.meta.url)), 'corpus');

describe('the receive path under fuzzing', () => {
  it(`${INPUTS.toLocaleString('en-US')} inputs into a stack holding all eleven states break no invariant`, () => {
    const s = runFuzz({ seed: SEED, inputs: INPUTS });
    console.log(
      `receive-path fuzz: seed ${SEED}, ${s.inputs} inputs (${s.actions} actions, ${s.worlds} worlds) in ${(s.ms / 1000).toFixed(1)} s = ` +
        `${Math.round(s.inputs / (s.ms / 1000))} inputs/s; ${s.transfers} legitimate transfers byte-exact (${(s.bytesVerified / 1048576).toFixed(1)} MiB); ` +
        `${s.segmentsIn} fuzzed TCP segments reached the demux; ${s.datagramsReassembled} datagrams reassembled; ${s.packetsOut} packets out, none malformed`,
    );
    const first = s.findings[0];
    if (first) {
      expect.fail(`${s.findings.length} findings; first: ${first.breach}\n  reproduce: npm run fuzz -- --seed ${first.seed} --inputs 1 (saves it to test/fuzz/corpus)`);
    }
    expect(s.inputs).toBeGreaterThanOrEqual(INPUTS);
    expect([...s.states].sort()).toEqual([...TCP_STATES].sort());
    expect(s.transfers).toBeGreaterThan(s.worlds);
    // every layer was reached: IP refusals, reassembly, IPv6 options, TCP refusals, ICMP to TCP
    expect(s.datagramsReassembled).toBeGreaterThan(0);
    expect(s.segmentsIn).toBeGreaterThan(s.inputs / 3);
    for (const reason of ['ip_bad_checksum', 'ip_frag_overlap', 'ip_frag_timeout', 'ip6_option_unknown', 'tcp_bad_option', 'tcp_bad_checksum', 'icmp_out_of_window']) {
      expect(s.drops[reason] ?? 0, reason).toBeGreaterThan(0);
    }
  }, 300_000);
});

describe('the corpus: every input that ever found a bug, replayed', () => {
  const files = readdirSync(CORPUS).filter((f) => f.endsWith('.json')).sort();
  it('holds the findings (the corpus is not empty)', () => {
    expect(files.length).toBeGreaterThan(0);
  });
  for (const file of files) {
    const stored = JSON.parse(readFileSync(join(CORPUS, file), 'utf8')) as StoredFinding;
    it(`${file}: ${stored.note ?? stored.breach}`, () => {
      expect(replay(fromStored(stored))).toEqual([]);
    });
  }
});

describe('the oracles catch what they are there for', () => {
  it('a connection with data outstanding and no timer is a breach', () => {
    const w = new World(7);
    const c = w.scripted.find((x) => x.built === 'ESTABLISHED')!.conn;
    c.tcb.tRetransmit = Infinity;
    c.tcb.tPersist = Infinity;
    w.check();
    expect(w.breaches.join('\n')).toMatch(/ESTABLISHED with .* and neither a retransmission nor a persist timer/);
  });

  it('a forged segment the legitimate connection accepts makes its transfer fail byte-exactness', () => {
    const w = new World(8);
    w.clock.advance(3);
    const echo = [...conns(w.s)].find((c) => c.remote.text === L_ADDR[6].text || c.remote.text === L_ADDR[4].text)!;
    expect(echo).toBeDefined();
    const t = echo.tcb;
    const forged = { srcPort: echo.remotePort, dstPort: echo.localPort, seq: t.rcvNxt, ack: t.sndUna, flags: ACK | PSH, window: 65535, urgent: 0, options: {}, payload: new Uint8Array([1, 2, 3]) };
    w.s.input(echo.local.version === 4 ? encodeTcpPacketV4(L_ADDR[4].v4, S_ADDR[4].v4, forged) : encodeTcpPacketV6(L_ADDR[6].v6!, S_ADDR[6].v6!, forged));
    w.finish();
    expect(w.breaches.join('\n')).toMatch(/legitimate transfer/);
  });

  it('a malformed packet from the stack is a breach', () => {
    const w = new World(9);
    w.s.emit('packet', new Uint8Array([0x45, 0, 0]));
    expect(w.breaches.join('\n')).toMatch(/malformed packet/);
  });
});
