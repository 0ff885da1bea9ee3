/**
 * Blind in-window attacks (RFC 5961) during a 10 MiB transfer on the simulated network, by an
 * off-path attacker who knows the 4-tuple but not the sequence numbers. Into both ends, spoofing
 * the other, it sweeps the whole sequence space with a step of one receive window:
 *
 *   - RSTs (RFC 5961 §3: only one at exactly RCV.NXT could reset; in-window ones draw a challenge);
 *   - SYNs (§4: any SYN draws a challenge ACK, none resets);
 *   - data segments with guessed ACK values (§5: data whose ACK is outside
 *     [SND.UNA - MAX.SND.WND, SND.NXT] is not taken; out-of-window data is answered, throttled).
 *
 * What must hold: the transfer completes byte-exact, neither end is reset, no injected byte is
 * delivered, and the ACKs the attack draws are throttled as Linux does (tcp_invalid_ratelimit per
 * connection; challenge ACKs counted). The same attack with the throttle off
 * (tcp_invalid_ratelimit = 0) is run for the figure it is compared with.
 */
import { describe, expect, it } from 'vitest';
import { SimNetwork, type Stack } from '../../src/index.js';
import type { Socket } from '../../src/api/socket.js';
import { Prng } from '../../src/link/prng.js';
import { encodeTcpPacketV4 } from '../../src/wire/packet.js';
import { ACK, PSH, RST, SYN, type Segment } from '../../src/wire/segment.js';
import { payloadOf, TimerWatch } from './harness.js';

const SIZE = 10 * 1024 * 1024;
const CLIENT = 0x0a000001;
const SERVER = 0x0a000002;
/** the sweep's step: the receive window (tcp_rmem default, 256 KiB) */
const STEP = 262_144;
const SWEEP = 2 ** 32 / STEP;
/** attack packets injected per millisecond of virtual time, into each end */
const RATE = 40;

interface Outcome {
  serverGot: Buffer;
  clientErrors: string[];
  serverErrors: string[];
  virtualMs: number;
  injected: number;
  /** challenge ACKs both ends sent (TcpExt TCPChallengeACK) */
  challengeAcks: number;
  /** ACKs for invalid segments held back by the throttle (TCPACKSkipped*) */
  skipped: number;
  timerBreaches: string[];
}

function segment(srcPort: number, dstPort: number, seq: number, ack: number, flags: number, payload: Uint8Array): Segment {
  return { srcPort, dstPort, seq: seq >>> 0, ack: ack >>> 0, flags, window: 65535, urgent: 0, options: {}, payload };
}

async function transfer(attack: boolean, offload: boolean, sysctl: Record<string, unknown> = {}): Promise<Outcome> {
  const net = new SimNetwork({ seed: 77, offload });
  const a = net.host('10.0.0.1', { sysctl });
  const b = net.host('10.0.0.2', { sysctl });
  net.impairAll({ delayMs: 5, bandwidthBps: 50_000_000 });
  const watch = new TimerWatch([a, b]);
  const sent = payloadOf(SIZE, 2024);
  const chunks: Buffer[] = [];
  let got = 0;
  const serverErrors: string[] = [];
  const clientErrors: string[] = [];
  let serverSock: Socket | null = null;
  b.net
    .createServer((s: Socket) => {
      serverSock = s;
      s.on('data', (d: Buffer) => {
        chunks.push(d);
        got += d.length;
      });
      s.on('error', (e: NodeJS.ErrnoException) => serverErrors.push(String(e.code)));
    })
    .listen(80);
  await net.run(1);
  const c = a.net.connect(80, '10.0.0.2');
  c.on('error', (e: NodeJS.ErrnoException) => clientErrors.push(String(e.code)));
  await net.runUntil(() => serverSock !== null, 1000);
  const start = net.now();
  c.write(sent);

  // ---- the attacker: knows both ports, guesses everything else ----
  let injected = 0;
  const rng = new Prng(99);
  const evil = new TextEncoder().encode('INJECTED');
  const targets: [Stack, number, number, number, number][] = [
    [b, CLIENT, SERVER, c.localPort!, 80], // into the server, spoofing the client
    [a, SERVER, CLIENT, 80, c.localPort!], // into the client, spoofing the server
  ];
  let k = 0;
  const totalSteps = 3 * SWEEP;
  const tick = (): void => {
    if (!attack || k >= totalSteps || got >= SIZE) return;
    for (let i = 0; i < RATE && k < totalSteps; i++, k++) {
      const phase = Math.floor(k / SWEEP);
      const seq = (k % SWEEP) * STEP + (rng.nextU32() % STEP);
      for (const [stack, src, dst, sport, dport] of targets) {
        const seg =
          phase === 0
            ? segment(sport, dport, seq, 0, RST, new Uint8Array(0))
            : phase === 1
              ? segment(sport, dport, seq, 0, SYN, new Uint8Array(0))
              : segment(sport, dport, seq, rng.nextU32(), ACK | PSH, evil);
        stack.input(encodeTcpPacketV4(src, dst, seg));
        injected++;
      }
    }
    net.clock.schedule(net.now() + 1, tick);
  };
  tick();

  await net.runUntil(watch.wrap(() => got >= SIZE || serverErrors.length + clientErrors.length > 0), 600_000);
  const virtualMs = net.now() - start;
  c.end();
  await net.runUntil(watch.wrap(() => a.connectionCount === 0 && b.connectionCount === 0), 200_000);
  const tcp = (s: Stack) => s.counters.tcp;
  return {
    serverGot: Buffer.concat(chunks),
    clientErrors,
    serverErrors,
    virtualMs,
    injected,
    challengeAcks: tcp(a).TCPChallengeACK + tcp(b).TCPChallengeACK,
    skipped: [a, b].reduce((n, s) => n + tcp(s).TCPACKSkippedChallenge + tcp(s).TCPACKSkippedSeq + tcp(s).TCPACKSkippedPAWS, 0),
    timerBreaches: watch.breaches,
  };
}

// on a link with no offload, and on one that skips checksums and cuts super-segments (link/offload.ts)
for (const offload of [false, true]) {
  describe(`RFC 5961 blind attacks by an off-path attacker during a 10 MiB transfer (offload ${offload ? 'on' : 'off'})`, () => {
    it('RSTs, SYNs and data with guessed ACKs swept across the sequence space (step = window): byte-exact, no reset, challenge ACKs throttled', async () => {
      const attacked = await transfer(true, offload);
      const clean = await transfer(false, offload);
      const open = await transfer(true, offload, { tcp_invalid_ratelimit: 0 });
      console.log(
        `blind attack: ${attacked.injected} segments injected over ${(attacked.virtualMs / 1000).toFixed(2)} s of transfer ` +
          `(clean: ${(clean.virtualMs / 1000).toFixed(2)} s); challenge ACKs sent ${attacked.challengeAcks}, ACKs held back ${attacked.skipped}; ` +
          `with tcp_invalid_ratelimit=0: ${open.challengeAcks} challenge ACKs, ${(open.virtualMs / 1000).toFixed(2)} s`,
      );
      // the attack covered the sequence space three times over (RST, SYN, data), into both ends
      expect(attacked.injected).toBe(2 * 3 * SWEEP);
      // the connection survives and no forged byte is delivered
      expect(attacked.clientErrors).toEqual([]);
      expect(attacked.serverErrors).toEqual([]);
      expect(attacked.serverGot.length).toBe(SIZE);
      expect(attacked.serverGot.equals(payloadOf(SIZE, 2024))).toBe(true);
      expect(attacked.timerBreaches).toEqual([]);
      // throttled: at most one challenge ACK per connection per 500 ms (two connections), and the
      // attack draws far fewer than without the throttle
      const perConnLimit = 2 * (Math.ceil(attacked.virtualMs / 500) + 1);
      expect(attacked.challengeAcks).toBeLessThanOrEqual(perConnLimit);
      expect(attacked.skipped).toBeGreaterThan(0);
      expect(open.challengeAcks).toBeGreaterThan(10 * attacked.challengeAcks);
      expect(open.serverGot.equals(payloadOf(SIZE, 2024))).toBe(true);
    }, 120_000);
  });
}
