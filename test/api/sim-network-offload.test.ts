/**
 * SimNetworkOptions.offload: every host declares checksum offload and 64 KiB super-segments, and
 * the network cuts each super-segment into MTU-sized segments before its impairments, as a NIC's
 * TSO would; a network that corrupts packets cannot skip checksums.
 */
import { describe, expect, it } from 'vitest';
import { SimNetwork } from '../../src/index.js';
import { decodeTcpPacket } from '../../src/wire/packet.js';

describe('SimNetwork with offload', () => {
  it('hosts declare checksum offload and GSO', () => {
    const net = new SimNetwork({ offload: true });
    expect(net.host('10.0.0.1').offload).toEqual({ txChecksum: true, rxChecksumVerified: true, gsoMaxBytes: 65535 });
    expect(new SimNetwork().host('10.0.0.1').offload).toEqual({ txChecksum: false, rxChecksumVerified: false, gsoMaxBytes: 0 });
  });

  it('refuses corruption, which checksums would have caught', () => {
    expect(() => new SimNetwork({ offload: true, impairments: { corrupt: 0.01 } })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
    const net = new SimNetwork({ offload: true });
    expect(() => net.impair('10.0.0.1', '10.0.0.2', { corrupt: 0.5 })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE', name: 'TypeError' }));
    expect(() => net.impairAll({ corrupt: 0.5 })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
    expect(() => net.impairAll({ loss: 0.1, corrupt: 0 })).not.toThrow();
  });

  it('puts only MTU-sized segments on the wire, cut from super-segments, and the bytes arrive whole under loss', async () => {
    const net = new SimNetwork({ seed: 5, offload: true });
    const a = net.host('10.0.0.1');
    const b = net.host('10.0.0.2');
    net.impairAll({ loss: 0.02, delayMs: 5, bandwidthBps: 100_000_000 });
    let supers = 0;
    a.on('packet', (_p: Uint8Array, gso: number) => void (gso > 0 && supers++));
    let largest = 0;
    let undecodable = 0;
    net.onPacket((ev) => {
      largest = Math.max(largest, ev.packet.length);
      if (typeof decodeTcpPacket(ev.packet, false) === 'string') undecodable++;
    });
    const data = Buffer.alloc(2 << 20);
    for (let i = 0; i < data.length; i++) data[i] = (i * 13) & 0xff;
    const got: Buffer[] = [];
    let ended = false;
    b.net
      .createServer((s) => {
        s.on('data', (d: Buffer) => got.push(d));
        s.on('end', () => (ended = true));
      })
      .listen(80);
    a.net.connect(80, '10.0.0.2').end(data);
    expect(await net.runUntil(() => ended, 600_000)).toBe(true);
    expect(Buffer.concat(got).equals(data)).toBe(true);
    expect(supers).toBeGreaterThan(0);
    expect(largest).toBeLessThanOrEqual(1500);
    expect(undecodable).toBe(0);
  });
});
