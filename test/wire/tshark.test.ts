/**
 * Cross-check the encoder against Wireshark's dissector: write encoded packets to a pcap
 * (LINKTYPE_RAW, 101) and let tshark verify checksums and read back fields.
 */
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ACK, PSH, SYN } from '../../src/wire/segment.js';
import { encodeTcpPacketV4, encodeTcpPacketV6 } from '../../src/wire/packet.js';
import { hex, seg } from './fixtures.js';

const TSHARK = '/usr/bin/tshark';

function pcap(packets: Uint8Array[]): Buffer {
  const parts: Buffer[] = [];
  const gh = Buffer.alloc(24);
  gh.writeUInt32LE(0xa1b2c3d4, 0);
  gh.writeUInt16LE(2, 4);
  gh.writeUInt16LE(4, 6);
  gh.writeUInt32LE(65535, 16);
  gh.writeUInt32LE(101, 20); // LINKTYPE_RAW: packets start with the IP header
  parts.push(gh);
  for (const p of packets) {
    const rh = Buffer.alloc(16);
    rh.writeUInt32LE(p.length, 8);
    rh.writeUInt32LE(p.length, 12);
    parts.push(rh, Buffer.from(p));
  }
  return Buffer.concat(parts);
}

const FIELDS = [
  'ip.checksum.status',
  'tcp.checksum.status',
  'tcp.srcport',
  'tcp.dstport',
  'tcp.seq_raw',
  'tcp.ack_raw',
  'tcp.flags',
  'tcp.window_size_value',
  'tcp.options.mss_val',
  'tcp.options.wscale.shift',
  'tcp.options.sack_perm',
  'tcp.options.timestamp.tsval',
  'tcp.options.timestamp.tsecr',
  'tcp.options.sack_le',
  'tcp.len',
  '_ws.malformed',
];

describe('encoder output as Wireshark sees it', () => {
  it.skipIf(!existsSync(TSHARK))('tshark finds valid checksums and the fields we wrote (skipped without /usr/bin/tshark)', () => {
    const src6 = hex('20010db8000000000000000000000001');
    const dst6 = hex('20010db8000000000000000000000002');
    const syn = seg({
      srcPort: 43210,
      dstPort: 80,
      seq: 0xd2a9c4f1,
      flags: SYN,
      window: 64240,
      options: { mss: 1460, sackPermitted: true, tsVal: 0x9a3c12ef, tsEcr: 0, wscale: 7 },
    });
    const data = seg({
      srcPort: 80,
      dstPort: 43210,
      seq: 0xfffffff0,
      ack: 0xd2a9c4f2,
      flags: PSH | ACK,
      window: 502,
      options: { tsVal: 7, tsEcr: 0x9a3c12ef, sack: [0xd2a9c5f2, 0xd2a9c6f2, 100, 200] },
      payload: new Uint8Array(1001).map((_, i) => i & 0xff),
    });
    const packets = [
      encodeTcpPacketV4(0x0a000001, 0x0a000002, syn),
      encodeTcpPacketV4(0x0a000002, 0x0a000001, data),
      encodeTcpPacketV6(src6, dst6, syn),
      encodeTcpPacketV6(dst6, src6, data),
    ];
    const dir = mkdtempSync(join(tmpdir(), 'synack-wire-'));
    try {
      const file = join(dir, 'enc.pcap');
      writeFileSync(file, pcap(packets));
      const args = ['-r', file, '-n', '-o', 'tcp.check_checksum:TRUE', '-o', 'ip.check_checksum:TRUE'];
      args.push('-o', 'tcp.relative_sequence_numbers:FALSE', '-T', 'fields', '-E', 'separator=|');
      for (const f of FIELDS) args.push('-e', f);
      const out = execFileSync(TSHARK, args, { encoding: 'utf8', timeout: 30_000, stdio: ['ignore', 'pipe', 'ignore'] });
      const rows = out
        .trim()
        .split('\n')
        .map((l) => l.split('|'))
        // tcp.options.sack_perm prints differently across Wireshark versions; only presence matters
        .map((r) => r.map((v, i) => (FIELDS[i] === 'tcp.options.sack_perm' && v !== '' ? 'present' : v)));
      expect(rows.length).toBe(4);
      const GOOD = '1'; // Wireshark's PROTO_CHECKSUM_E_GOOD
      const synRow = ['43210', '80', String(0xd2a9c4f1), '0', '0x0002', '64240', '1460', '7', 'present', String(0x9a3c12ef), '0', '', '0', ''];
      const dataRow = ['80', '43210', String(0xfffffff0), String(0xd2a9c4f2), '0x0018', '502', '', '', '', '7', String(0x9a3c12ef)];
      dataRow.push(`${0xd2a9c5f2},100`, '1001', '');
      expect(rows[0]).toEqual([GOOD, GOOD, ...synRow]);
      expect(rows[1]).toEqual([GOOD, GOOD, ...dataRow]);
      expect(rows[2]).toEqual(['', GOOD, ...synRow]);
      expect(rows[3]).toEqual(['', GOOD, ...dataRow]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
