import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LINKTYPE_ETHERNET, LINKTYPE_RAW, PcapWriter, openPcapFile, readPcap } from '../../src/link/pcap.js';

function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.length;
  }
  return out;
}

/** A valid IPv4/UDP packet (header checksum filled in, UDP checksum 0 = none). */
function udp4(src: number[], dst: number[], sport: number, dport: number, payload: Uint8Array): Uint8Array {
  const p = new Uint8Array(28 + payload.length);
  const v = new DataView(p.buffer);
  p[0] = 0x45;
  v.setUint16(2, p.length);
  v.setUint16(4, 0x1234);
  p[8] = 64;
  p[9] = 17;
  p.set(src, 12);
  p.set(dst, 16);
  let sum = 0;
  for (let i = 0; i < 20; i += 2) sum += v.getUint16(i);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  v.setUint16(10, ~sum & 0xffff);
  v.setUint16(20, sport);
  v.setUint16(22, dport);
  v.setUint16(24, 8 + payload.length);
  p.set(payload, 28);
  return p;
}

const hello = new TextEncoder().encode('hello');

describe('pcap', () => {
  it('reads back what the writer wrote: linktype, timestamps and bytes', () => {
    const chunks: Uint8Array[] = [];
    const w = new PcapWriter((c) => chunks.push(c));
    const pkts = [
      { timeMs: 0, data: udp4([10, 0, 0, 1], [10, 0, 0, 2], 1, 2, hello) },
      { timeMs: 1.5, data: udp4([10, 0, 0, 2], [10, 0, 0, 1], 2, 1, new Uint8Array(0)) },
      { timeMs: 3_600_123.456, data: new Uint8Array([0x45]) },
    ];
    for (const p of pkts) w.packet(p.timeMs, p.data);
    const cap = readPcap(concat(chunks));
    expect(cap.linktype).toBe(LINKTYPE_RAW);
    expect(cap.packets.map((p) => p.timeMs)).toEqual([0, 1.5, 3_600_123.456]);
    expect(cap.packets.map((p) => Array.from(p.data))).toEqual(pkts.map((p) => Array.from(p.data)));
  });

  it('writes the global header at once, so an empty capture is valid', () => {
    const chunks: Uint8Array[] = [];
    new PcapWriter((c) => chunks.push(c), { linktype: LINKTYPE_ETHERNET });
    const buf = concat(chunks);
    expect(buf.length).toBe(24);
    expect(Array.from(buf.subarray(0, 4))).toEqual([0xd4, 0xc3, 0xb2, 0xa1]);
    expect(readPcap(buf)).toEqual({ linktype: LINKTYPE_ETHERNET, packets: [] });
  });

  it('truncates packets to snaplen while recording their original length', () => {
    const chunks: Uint8Array[] = [];
    const w = new PcapWriter((c) => chunks.push(c), { snaplen: 4 });
    w.packet(1, new Uint8Array([1, 2, 3, 4, 5, 6]));
    const buf = concat(chunks);
    expect(Array.from(readPcap(buf).packets[0]!.data)).toEqual([1, 2, 3, 4]);
    expect(new DataView(buf.buffer).getUint32(24 + 12, true)).toBe(6);
  });

  it('openPcapFile buffers writes into a file that reads back after close', () => {
    const dir = mkdtempSync(join(tmpdir(), 'synack-pcap-'));
    try {
      const path = join(dir, 'x.pcap');
      const f = openPcapFile(path);
      const big = new Uint8Array(100_000).fill(7); // larger than the write buffer
      for (let i = 0; i < 1000; i++) f.packet(i, udp4([10, 0, 0, 1], [10, 0, 0, 2], i, 80, hello));
      f.packet(1000, big);
      f.close();
      f.close();
      const cap = readPcap(readFileSync(path));
      expect(cap.packets).toHaveLength(1001);
      expect(cap.packets[999]!.timeMs).toBe(999);
      expect(cap.packets[1000]!.data.length).toBe(100_000);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  const tshark = '/usr/bin/tshark';
  it.skipIf(!existsSync(tshark))('tshark reads a written capture of hand-built IPv4 packets (skipped without /usr/bin/tshark)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'synack-pcap-'));
    try {
      const path = join(dir, 'udp.pcap');
      const f = openPcapFile(path);
      f.packet(0, udp4([10, 0, 0, 1], [10, 0, 0, 2], 4000, 53, hello));
      f.packet(12.5, udp4([10, 0, 0, 2], [10, 0, 0, 1], 53, 4000, hello));
      f.packet(1000, udp4([192, 168, 1, 1], [192, 168, 1, 9], 1, 2, new Uint8Array(3)));
      f.close();
      const out = execFileSync(
        tshark,
        ['-r', path, '-T', 'fields', '-e', 'frame.time_relative', '-e', 'ip.src', '-e', 'ip.dst', '-e', 'udp.dstport', '-e', 'ip.checksum.status', '-o', 'ip.check_checksum:TRUE'],
        { encoding: 'utf8', timeout: 60_000, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      const rows = out.trim().split('\n').map((l) => l.split('\t'));
      expect(rows.map((r) => [r[1], r[2], r[3]])).toEqual([
        ['10.0.0.1', '10.0.0.2', '53'],
        ['10.0.0.2', '10.0.0.1', '4000'],
        ['192.168.1.1', '192.168.1.9', '2'],
      ]);
      expect(rows.map((r) => Number(r[0]))).toEqual([0, 0.0125, 1]);
      expect(rows.map((r) => r[4])).toEqual(['1', '1', '1']); // IPv4 header checksum: good
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
