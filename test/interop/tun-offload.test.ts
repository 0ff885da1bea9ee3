/**
 * The virtio-net header on a TUN device (include/uapi/linux/virtio_net.h; drivers/net/tun.c):
 * what the kernel says of each packet's checksum is honoured, its unsegmented TCP segments are
 * taken whole, what synack sends may leave the checksum and the segmentation to the kernel, and a
 * device whose offload the kernel refuses works in plain mode.
 *
 * One child process in a namespace of its own runs every scenario: synack stacks on TUN devices,
 * and the namespace's kernel TCP (node:net in the same process) as their peer. Each scenario
 * prints one JSON line; each test reads one.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Netns, Output, ROOT, interopUnavailable } from './helpers.js';

const why = interopUnavailable();
const DIST = (p: string): string => JSON.stringify(join(ROOT, 'dist', 'src', p));

const SCRIPT = `
import net from 'node:net';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Stack, TunDevice, attachTun, TUN_RX_CSUM_PARTIAL, TUN_RX_CSUM_VALID, TUN_TX_NEEDS_CSUM } from ${DIST('index.js')};
import { configurePeer } from ${DIST('link/iface.js')};
import { decodePacket, decodeTcpPacket, encodeTcpPacketV4 } from ${DIST('wire/packet.js')};
import { parseIPv4 } from ${DIST('wire/addr.js')};
import { fold, pseudoSumV4 } from ${DIST('wire/checksum.js')};

const DATA = randomBytes(4 << 20);
const SHA = createHash('sha256').update(DATA).digest('hex');
const sha = (chunks) => createHash('sha256').update(Buffer.concat(chunks)).digest('hex');
const report = (scenario, r) => console.log(JSON.stringify({ scenario, ...r }));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const inCsumErrors = () => {
  const lines = readFileSync('/proc/net/snmp', 'utf8').split('\\n').filter((l) => l.startsWith('Tcp:'));
  const k = lines[0].split(' '), v = lines[1].split(' ');
  return Number(v[k.indexOf('InCsumErrors')]);
};
const isTcp = (p) => (p[0] >> 4 === 4 && p[9] === 6);
function withTimeout(promise, ms, what) {
  let timer;
  const late = new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(what + ': timed out')), ms); });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}
/** a kernel client: sends DATA to host:port, ends, and resolves with what the server answered */
function kernelSend(host, port) {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host, port }, () => s.end(DATA));
    const got = [];
    s.on('data', (d) => got.push(d));
    s.on('end', () => resolve(Buffer.concat(got).toString()));
    s.on('error', reject);
  });
}
/** a kernel client: reads everything host:port sends */
function kernelRead(host, port) {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host, port });
    const got = [];
    s.on('data', (d) => got.push(d));
    s.on('end', () => resolve(sha(got)));
    s.on('error', reject);
  });
}
/** a synack server: answers every connection with the sha256 of what it received */
function shaSink(stack, port) {
  stack.net.createServer((s) => {
    const got = [];
    s.on('data', (d) => got.push(Buffer.from(d)));
    s.on('end', () => s.end(sha(got)));
  }).listen(port);
}
function source(stack, port) {
  stack.net.createServer((s) => s.end(DATA)).listen(port);
}
/** a device with a stack on it; sizes of the packets each way are recorded */
function link(name, addr, peer, devOpts, attachOpts) {
  const dev = TunDevice.open(name, devOpts);
  const stack = new Stack({ addresses: [addr] });
  const seen = { maxIn: 0, maxOut: 0 };
  dev.on('packet', (p) => { if (p.length > seen.maxIn) seen.maxIn = p.length; });
  stack.on('packet', (p) => { if (p.length > seen.maxOut) seen.maxOut = p.length; });
  const attached = attachTun(stack, dev, attachOpts);
  configurePeer(name, [peer]);
  return { dev, stack, seen, attached };
}
const drops = (stack) => stack.counters.drops.tcp_bad_checksum ?? 0;

async function rxFlags() {
  // no stack: the kernel's SYNs to nobody, read raw
  const dev = TunDevice.open('syr0');
  dev.setChecksumCompletion('none');
  configurePeer('syr0', ['10.99.11.1/24']);
  const syns = [];
  dev.on('packet', (p, info) => { if (isTcp(p)) syns.push({ p: Buffer.from(p), info }); });
  const s = net.connect({ host: '10.99.11.2', port: 80 });
  s.on('error', () => {});
  for (let i = 0; i < 50 && syns.length === 0; i++) await sleep(20);
  const first = syns[0];
  const d = decodePacket(first.p);
  const field = first.p.readUInt16BE(d.payloadOffset + 16);
  const pseudo = fold(pseudoSumV4(d.src4, d.dst4, 6, d.payloadLength));
  const partialVerdict = decodeTcpPacket(first.p);
  dev.setChecksumCompletion('all');
  const before = syns.length;
  for (let i = 0; i < 150 && syns.length === before; i++) await sleep(20); // the SYN is sent again after 1 s
  const again = syns[before];
  s.destroy();
  dev.close();
  report('rxFlags', {
    vnetHdr: dev.vnetHdr,
    firstInfo: first.info & 0xff,
    fieldIsPseudoSum: field === pseudo,
    partialVerdict: typeof partialVerdict === 'string' ? partialVerdict : 'ok',
    completedInfo: again ? again.info & 0xff : -1,
    completedVerdict: again ? (typeof decodeTcpPacket(again.p) === 'string' ? decodeTcpPacket(again.p) : 'ok') : 'none',
    PARTIAL: TUN_RX_CSUM_PARTIAL,
    VALID: TUN_RX_CSUM_VALID,
  });
}

async function main() {
  writeFileSync('/proc/sys/net/ipv4/ip_forward', '1');
  await rxFlags();

  const a = link('syo0', '10.99.9.2', '10.99.9.1/24', {}, {});
  shaSink(a.stack, 5001);
  source(a.stack, 5000);
  report('declared', { vnetHdr: a.dev.vnetHdr, offload: a.dev.offload, declared: a.stack.offload });

  const sunk = await withTimeout(kernelSend('10.99.9.2', 5001), 20000, 'gro');
  report('groIn', { shaOk: sunk === SHA, gsoIn: a.dev.stats.gsoIn, maxIn: a.seen.maxIn, badChecksums: drops(a.stack) });

  const read = await withTimeout(kernelRead('10.99.9.2', 5000), 20000, 'gso local');
  report('gsoLocal', { shaOk: read === SHA, gsoOut: a.dev.stats.gsoOut, maxOut: a.seen.maxOut, writeDrops: a.dev.stats.writeDrops });

  // b: a plain device (no offload asked): the kernel must complete and cut whatever it forwards there
  const b = link('syp0', '10.99.10.2', '10.99.10.1/24', { offload: false }, {});
  shaSink(b.stack, 5002);
  const gsoBefore = a.dev.stats.gsoOut;
  const answer = await withTimeout(new Promise((resolve, reject) => {
    const s = a.stack.net.connect({ host: '10.99.10.2', port: 5002 }, () => s.end(DATA));
    const got = [];
    s.on('data', (d) => got.push(Buffer.from(d)));
    s.on('end', () => resolve(Buffer.concat(got).toString()));
    s.on('error', reject);
  }), 20000, 'gso forwarded');
  report('gsoForwarded', {
    shaOk: answer === SHA,
    gsoOut: a.dev.stats.gsoOut - gsoBefore,
    plainVnetHdr: b.dev.vnetHdr,
    plainDeclared: b.stack.offload,
    maxArrivedAtPlain: b.seen.maxIn,
    badChecksumsAtPlain: drops(b.stack),
  });

  // the kernel forwards what a plain device gives it without looking at TCP checksums, and hands it
  // on with no flag (CHECKSUM_NONE): a.stack declared rxChecksumVerified, so attachTun checks it
  const syn = (port) => encodeTcpPacketV4(parseIPv4('10.99.10.7'), parseIPv4('10.99.9.2'), {
    srcPort: port, dstPort: 5001, seq: 1000, ack: 0, flags: 0x02, window: 65535, urgent: 0, options: { mss: 1460 }, payload: new Uint8Array(0),
  });
  // the flags of our two SYNs as they reach a, and the ports a answers with a SYN-ACK
  const flagsSeen = [];
  a.dev.on('packet', (p, info) => { if (isTcp(p) && p[12] === 10 && p[15] === 7 && p[33] === 0x02) flagsSeen.push(info & 0xff); });
  const answered = [];
  a.stack.on('packet', (p) => { if (isTcp(p) && p[16] === 10 && p[19] === 7 && p[33] === 0x12) answered.push((p[22] << 8) | p[23]); });
  const good = syn(40001);
  const corrupt = syn(40002);
  corrupt[corrupt.length - 1] ^= 0xff; // the MSS option's low byte: the checksum no longer matches
  const dropsBefore = drops(a.stack);
  b.dev.write(good);
  b.dev.write(corrupt);
  for (let i = 0; i < 100 && (flagsSeen.length < 1 || answered.length < 1); i++) await sleep(20);
  await sleep(50);
  report('unflagged', { flags: flagsSeen, badDropped: drops(a.stack) - dropsBefore, answered });

  // c: txChecksum declared by hand, and the packets written with and then without NEEDS_CSUM
  const cdev = TunDevice.open('syc0');
  const c = new Stack({ addresses: ['10.99.12.2'], offload: { txChecksum: true } });
  let flag = 0;
  cdev.on('packet', (p) => c.input(p));
  c.on('packet', (p) => cdev.write(p, isTcp(p) ? flag : 0));
  configurePeer('syc0', ['10.99.12.1/24']);
  c.net.createServer((s) => s.end('hello')).listen(80);
  const errorsBefore = inCsumErrors();
  const without = await new Promise((resolve) => {
    const s = net.connect({ host: '10.99.12.2', port: 80 });
    const t = setTimeout(() => { s.destroy(); resolve('no answer'); }, 2500);
    s.on('data', () => { clearTimeout(t); s.destroy(); resolve('answered'); });
    s.on('error', (e) => { clearTimeout(t); resolve(e.code); });
  });
  const errorsWithout = inCsumErrors() - errorsBefore;
  flag = TUN_TX_NEEDS_CSUM;
  const withFlag = await withTimeout(new Promise((resolve, reject) => {
    const s = net.connect({ host: '10.99.12.2', port: 80 });
    const got = [];
    s.on('data', (d) => got.push(d));
    s.on('end', () => resolve(Buffer.concat(got).toString()));
    s.on('error', reject);
  }), 10000, 'needs csum');
  report('txChecksum', { without, errorsWithout, withFlag });
  cdev.close();
  c.destroy();

  // d: the kernel refuses the offload asked (a TUN_F_ bit it does not know): plain mode
  const f = link('syf0', '10.99.13.2', '10.99.13.1/24', { offloadFlags: 0x80000000 }, {});
  source(f.stack, 5000);
  const plainRead = await withTimeout(kernelRead('10.99.13.2', 5000), 20000, 'refused');
  report('refused', { vnetHdr: f.dev.vnetHdr, offload: f.dev.offload, declared: f.stack.offload, shaOk: plainRead === SHA, maxIn: f.seen.maxIn, maxOut: f.seen.maxOut });

  // e: a capture with every offload on holds packets with valid checksums, super-segments whole
  const file = '/tmp/synack-offload-' + process.pid + '.pcap';
  const g = link('syg0', '10.99.14.2', '10.99.14.1/24', {}, { pcap: file });
  shaSink(g.stack, 5001);
  source(g.stack, 5000);
  const gSent = await withTimeout(kernelSend('10.99.14.2', 5001), 20000, 'pcap in');
  const gRead = await withTimeout(kernelRead('10.99.14.2', 5000), 20000, 'pcap out');
  g.attached.close();
  g.stack.destroy();
  const cap = readFileSync(file);
  rmSync(file);
  let packets = 0, tcp = 0, bad = 0, largest = 0;
  for (let off = 24; off + 16 <= cap.length; ) {
    const incl = cap.readUInt32LE(off + 8);
    const p = cap.subarray(off + 16, off + 16 + incl);
    off += 16 + incl;
    packets++;
    largest = Math.max(largest, p.length);
    if (!isTcp(p)) continue;
    tcp++;
    if (decodeTcpPacket(p) === 'tcp_bad_checksum') bad++;
  }
  report('pcap', { shaOk: gSent === SHA && gRead === SHA, packets, tcp, bad, largest, gsoIn: g.dev.stats.gsoIn, gsoOut: g.dev.stats.gsoOut });

  for (const l of [a, b, f]) { l.attached.close(); l.stack.destroy(); }
  report('done', {});
}
main().catch((e) => { console.log(JSON.stringify({ scenario: 'error', message: String(e && e.stack || e) })); process.exit(1); });
`;

describe.skipIf(why !== null)(`TUN with the virtio-net header${why ? ` (skipped: ${why})` : ''}`, () => {
  const ns = new Netns();
  let out: Output;
  const results = new Map<string, Record<string, unknown>>();
  const result = async (scenario: string): Promise<Record<string, unknown>> => {
    const line = await out.waitFor(new RegExp(`^\\{"scenario":"(${scenario}|error)"`), 60_000);
    const r = JSON.parse(line) as Record<string, unknown>;
    if (r.scenario === 'error') throw new Error(String(r.message));
    results.set(scenario, r);
    return r;
  };

  beforeAll(() => {
    ns.create();
    out = new Output(ns.start([process.execPath, '--input-type=module', '-e', SCRIPT]));
  });
  afterAll(async () => {
    await ns.destroy();
  });

  describe('arrivals (the kernel to synack)', () => {
    it("the kernel's own TCP segment comes flagged NEEDS_CSUM, its checksum field holding the pseudo-header sum", async () => {
      const r = await result('rxFlags');
      expect(r.vnetHdr).toBe(true);
      expect(r.firstInfo).toBe(r.PARTIAL);
      expect(r.fieldIsPseudoSum).toBe(true);
      expect(r.partialVerdict).toBe('tcp_bad_checksum'); // as it stands, it is not a valid checksum
    }, 60_000);

    it('with completion on, the addon completes it: a valid checksum, reported DATA_VALID', async () => {
      const r = await result('rxFlags');
      expect(r.completedInfo).toBe(r.VALID);
      expect(r.completedVerdict).toBe('ok');
    }, 60_000);

    it('attachTun declares the offloads to the stack: TCP checksums left to the link both ways, 64 KiB super-segments', async () => {
      const r = await result('declared');
      expect(r).toMatchObject({ vnetHdr: true, offload: true, declared: { txChecksum: true, rxChecksumVerified: true, gsoMaxBytes: 65535 } });
    }, 60_000);

    it("the kernel's bulk data arrives unsegmented (larger than the MTU) and is received intact", async () => {
      const r = await result('groIn');
      expect(r.shaOk).toBe(true);
      expect(r.gsoIn).toBeGreaterThan(0);
      expect(r.maxIn).toBeGreaterThan(1500);
      expect(r.badChecksums).toBe(0);
    }, 60_000);

    it('an arrival with no flag (forwarded, CHECKSUM_NONE) is verified by the link: a bad TCP checksum is dropped and counted, a good one taken', async () => {
      const r = await result('unflagged');
      expect(r.flags).toEqual([0, 0]); // both SYNs reached the link, unflagged
      expect(r.badDropped).toBe(1);
      expect(r.answered).toEqual([40001]); // only the good one reached the stack
    }, 60_000);
  });

  describe('sends (synack to the kernel)', () => {
    it('super-segments to a local kernel socket are taken whole and arrive intact', async () => {
      const r = await result('gsoLocal');
      expect(r.shaOk).toBe(true);
      expect(r.gsoOut).toBeGreaterThan(0);
      expect(r.maxOut).toBeGreaterThan(1500);
      expect(r.writeDrops).toBe(0);
    }, 60_000);

    it('super-segments forwarded to a device without offloads are cut by the kernel into MTU-sized segments with valid checksums', async () => {
      const r = await result('gsoForwarded');
      expect(r.shaOk).toBe(true);
      expect(r.gsoOut).toBeGreaterThan(0);
      // the receiving stack is on a plain device: no offload declared, so it verified every checksum
      expect(r.plainVnetHdr).toBe(false);
      expect(r.plainDeclared).toMatchObject({ txChecksum: false, rxChecksumVerified: false, gsoMaxBytes: 0 });
      expect(r.maxArrivedAtPlain).toBeLessThanOrEqual(1500);
      expect(r.badChecksumsAtPlain).toBe(0);
    }, 60_000);

    it('a partial checksum is completed by the kernel only when the packet says NEEDS_CSUM (without it the kernel drops it as corrupt)', async () => {
      const r = await result('txChecksum');
      expect(r.without).toBe('no answer');
      expect(r.errorsWithout).toBeGreaterThan(0);
      expect(r.withFlag).toBe('hello');
    }, 60_000);
  });

  describe('captures', () => {
    it('--pcap with the offloads on writes what the wire would carry: every TCP checksum completed, super-segments cut into MTU-sized segments', async () => {
      const r = await result('pcap');
      expect(r.shaOk).toBe(true);
      expect(r.gsoIn).toBeGreaterThan(0);
      expect(r.gsoOut).toBeGreaterThan(0);
      expect(r.tcp).toBeGreaterThan(2 * (4 << 20) / 1500); // 4 MiB each way in segments of at most 1,460 bytes
      expect(r.bad).toBe(0);
      expect(r.largest).toBeLessThanOrEqual(1500);
    }, 60_000);
  });

  describe('fallback', () => {
    it('when the kernel refuses TUNSETOFFLOAD the device is plain: no header, nothing declared, MTU-sized packets, data intact', async () => {
      const r = await result('refused');
      expect(r).toMatchObject({ vnetHdr: false, offload: false, shaOk: true, declared: { txChecksum: false, rxChecksumVerified: false, gsoMaxBytes: 0 } });
      expect(r.maxIn).toBeLessThanOrEqual(1500);
      expect(r.maxOut).toBeLessThanOrEqual(1500);
      await result('done');
      expect(await out.exit(10_000)).toBe(0);
    }, 60_000);
  });
});
