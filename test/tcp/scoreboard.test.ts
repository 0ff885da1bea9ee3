import { describe, expect, it } from 'vitest';
import { Scoreboard, type TxSegment } from '../../src/tcp/scoreboard.js';

const MSS = 100;

/** Ten segments of 100 bytes from 1000, sent at t = 0..9. */
function board(n = 10): Scoreboard {
  const b = new Scoreboard();
  for (let i = 0; i < n; i++) b.onSend(1000 + i * MSS, 1000 + (i + 1) * MSS, i);
  return b;
}
const seg = (i: number) => [1000 + i * MSS, 1000 + (i + 1) * MSS];
const starts = (segs: TxSegment[]) => segs.map((s) => s.start);

describe('RFC 6675 scoreboard', () => {
  it('SetPipe: every segment sent and not SACKed counts while none is deemed lost', () => {
    const b = board();
    expect(b.pipe()).toBe(1000);
    b.onAck(1000, [...seg(3)], () => {});
    expect(b.pipe()).toBe(900);
    expect(b.sackedBytes).toBe(100);
  });

  it('the cumulative ACK drops what it covers; DeliveredData = ACKed + newly SACKed bytes', () => {
    const b = board();
    const seen: TxSegment[] = [];
    const r = b.onAck(1200, [...seg(5)], (s) => seen.push(s));
    expect(r.delivered).toBe(300);
    expect(r.newlySacked).toBe(100);
    expect(starts(seen)).toEqual([1500, 1000, 1100]);
    expect(b.length).toBe(8);
    // a SACKed segment later covered by the cumulative ACK is not delivered twice
    const r2 = b.onAck(1600, undefined, () => {});
    expect(r2.delivered).toBe(300);
  });

  it('IsLost: DupThresh (3) SACKed segments above, or more than 2·SMSS SACKed bytes above', () => {
    const b = board();
    b.onAck(1000, [...seg(2), ...seg(4)], () => {});
    expect(b.isLost(1000, MSS)).toBe(false);
    b.onAck(1000, [...seg(6)], () => {});
    expect(b.isLost(1000, MSS)).toBe(true);
    expect(b.isLost(1300, MSS)).toBe(false); // only two SACKed above segment 3
    // bytes: one SACK block of three segments is also enough
    const c = board();
    c.onAck(1000, [seg(1)[0]!, seg(3)[1]!], () => {});
    expect(c.isLost(1000, MSS)).toBe(true);
  });

  it('loss marking takes lost segments out of the pipe; NextSeg (1) returns the first lost, not-yet-retransmitted one', () => {
    const b = board();
    b.onAck(1000, [seg(2)[0]!, seg(2)[1]!, seg(4)[0]!, seg(6)[1]!], () => {});
    // SACKed: 2, 4, 5, 6; lost by IsLost: 0, 1, 3
    expect(b.markLostByDupThresh(MSS)).toBe(3);
    expect(b.pipe()).toBe(1000 - 400 - 300);
    expect(b.nextLost()!.start).toBe(1000);
    b.onSend(1000, 1100, 20);
    expect(b.pipe()).toBe(400); // the retransmission is in flight again
    expect(b.nextLost()!.start).toBe(1100);
    b.onSend(1100, 1200, 20);
    expect(b.nextLost()!.start).toBe(1300);
    b.onSend(1300, 1400, 20);
    expect(b.nextLost()).toBeUndefined();
    expect(b.pipe()).toBe(600);
  });

  it('a timeout deems every un-SACKed segment lost and never a SACKed one', () => {
    const b = board();
    b.onAck(1000, [...seg(1), ...seg(3)], () => {});
    b.markAllLost();
    const order: number[] = [];
    for (let s = b.nextLost(); s; s = b.nextLost()) {
      order.push(s.start);
      b.onSend(s.start, s.end, 50);
    }
    expect(order).toEqual([1000, 1200, 1400, 1500, 1600, 1700, 1800, 1900]);
  });

  it('a SACK block covering part of a segment splits it', () => {
    const b = board(1);
    b.onAck(1000, [1040, 1060], () => {});
    expect(b.length).toBe(3);
    expect(b.sackedBytes).toBe(20);
    expect(b.pipe()).toBe(80);
  });

  it('RFC 2883 §4: a first block below the cumulative ACK is a D-SACK; spurious when it covers a retransmission', () => {
    const b = board();
    b.onSend(1000, 1100, 30); // retransmitted
    const r = b.onAck(1100, undefined, () => {});
    expect(r.dsack).toBe(false);
    const d = b.onAck(1100, [1000, 1100], () => {});
    expect(d).toMatchObject({ dsack: true, dsackSpurious: true, newlySacked: 0 });
    const e = b.onAck(1100, [1100, 1200], () => {});
    expect(e.dsack).toBe(false);
  });

  it('RFC 2883 §4: a first block inside the second is a D-SACK of out-of-order data', () => {
    const b = board();
    b.onAck(1000, [...seg(5)], () => {});
    const r = b.onAck(1000, [...seg(5), seg(4)[0]!, seg(6)[1]!], () => {});
    expect(r.dsack).toBe(true);
    expect(r.dsackSpurious).toBe(false);
    expect(r.newlySacked).toBe(200);
  });

  it('RFC 2018 §8 reneging: an ACK stopping where SACKed data begins forgets every SACK', () => {
    const b = board();
    b.onAck(1000, [...seg(1), ...seg(2)], () => {});
    expect(b.sackedBytes).toBe(200);
    const r = b.onAck(1100, undefined, () => {});
    expect(r.reneged).toBe(true);
    expect(b.sackedBytes).toBe(0);
    expect(b.pipe()).toBe(900);
    b.markAllLost();
    expect(b.nextLost()!.start).toBe(1100); // the once-SACKed segment is resent after a timeout
  });
});
