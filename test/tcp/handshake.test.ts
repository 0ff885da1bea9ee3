import { describe, expect, it } from 'vitest';
import { TcbHarness, established, listening, synReceived, synSent } from '../support/tcb-harness.js';

describe('RFC 9293 §3.5 three-way handshake', () => {
  it('client path CLOSED → SYN_SENT → ESTABLISHED on SYN-ACK, answering with ACK', () => {
    const h = synSent();
    h.run(`
      +0.05 < S. 0:0(0) ack 1 win 65535 <mss 1460>
      +0    > . 1:1(0) ack 1
    `);
    h.expectPath('CLOSED', 'SYN_SENT', 'ESTABLISHED');
    expect(h.establishedCount).toBe(1);
  });

  it('server path CLOSED → LISTEN → SYN_RCVD → ESTABLISHED', () => {
    const h = established();
    h.expectPath('CLOSED', 'LISTEN', 'SYN_RCVD', 'ESTABLISHED');
  });
});
