/**
 * The gateway's DNS responder (src/gateway/dns-responder.ts, dns-answer.ts) in the simulator: a
 * guest stack asks the gateway stack over UDP and TCP, the gateway answers from a fake resolver.
 * Grouped by rule: answers (A, AAAA, CNAME, NXDOMAIN, NODATA), what is not implemented, malformed
 * queries, UDP size and truncation, TCP framing (RFC 1035 §4.2.2, RFC 7766), resolver failures,
 * and shutdown.
 */
import { describe, expect, it } from 'vitest';
import { SimNetwork, type DgramRemoteInfo, type Stack } from '../../src/index.js';
import type { DnsResolver, ResolvedName } from '../../src/gateway/dns-answer.js';
import { startDnsResponder, type DnsResponder, type DnsResponderOptions } from '../../src/gateway/dns-responder.js';
import { decodeMessage, DNS_TYPE, encodeMessage, type DnsMessage } from '../../src/gateway/dns-wire.js';

const GW = '10.0.2.2';

const TABLE: Record<string, { v4?: string[]; v6?: string[]; cname?: string }> = {
  'server.test': { v4: ['10.98.0.2'], v6: ['fd00:98::2'] },
  'v4only.test': { v4: ['192.0.2.7'] },
  'alias.test': { v4: ['192.0.2.8'], cname: 'real.test' },
  'many.test': { v4: Array.from({ length: 40 }, (_, i) => `198.51.100.${i + 1}`) },
};

/** A resolver over TABLE; names it lacks are ENOTFOUND. Counts calls. */
function fakeResolver(): DnsResolver & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    resolve(name: string, family: 4 | 6): Promise<ResolvedName> {
      calls.push(`${name}/${family}`);
      const e = TABLE[name.toLowerCase()];
      if (!e) return Promise.reject(Object.assign(new Error(`no ${name}`), { code: 'ENOTFOUND' }));
      const out: ResolvedName = { addresses: (family === 4 ? e.v4 : e.v6) ?? [], ttl: 120 };
      if (e.cname) out.canonicalName = e.cname;
      return Promise.resolve(out);
    },
  };
}

async function setup(opts: DnsResponderOptions = {}): Promise<{ net: SimNetwork; gw: Stack; guest: Stack; dns: DnsResponder }> {
  const net = new SimNetwork({ seed: 3 });
  const gw = net.host([GW, 'fd00::2']);
  const guest = net.host(['10.0.2.15', 'fd00::15']);
  const started = startDnsResponder(gw, { resolver: fakeResolver(), ...opts });
  await net.run(1);
  return { net, gw, guest, dns: await started };
}

function query(name: string, type: number, more: Partial<DnsMessage> = {}, id = 0x5151): DnsMessage {
  return {
    header: { id, qr: false, opcode: 0, aa: false, tc: false, rd: true, ra: false, ad: false, cd: false, rcode: 0 },
    questions: [{ name, type, class: 1 }],
    answers: [],
    authorities: [],
    additionals: [],
    ...more,
  };
}

/** Send `bytes` over UDP from the guest and collect what comes back within `ms` of virtual time. */
async function udpAsk(net: SimNetwork, guest: Stack, bytes: Uint8Array, to = GW, ms = 100): Promise<Buffer[]> {
  const s = guest.dgram.createSocket(to.includes(':') ? 'udp6' : 'udp4');
  const got: Buffer[] = [];
  s.on('message', (m: Buffer, r: DgramRemoteInfo) => {
    expect([r.address, r.port]).toEqual([to, 53]);
    got.push(m);
  });
  s.send(bytes, 53, to);
  await net.run(ms);
  s.close();
  return got;
}

async function udpAnswer(net: SimNetwork, guest: Stack, m: DnsMessage, to = GW): Promise<DnsMessage> {
  const got = await udpAsk(net, guest, encodeMessage(m), to);
  expect(got.length).toBe(1);
  const r = decodeMessage(got[0]!);
  if (!r.ok) throw new Error(r.reason);
  return r.message;
}

/** One TCP connection: write `chunks` (one write each, a tick apart), collect the framed answers. */
async function tcpSession(net: SimNetwork, guest: Stack, chunks: Uint8Array[], ms = 200): Promise<{ answers: DnsMessage[]; ended: boolean; closed: boolean }> {
  const s = guest.net.connect({ host: GW, port: 53 });
  let buf = Buffer.alloc(0);
  const answers: DnsMessage[] = [];
  let ended = false;
  let closed = false;
  s.on('data', (d: Buffer) => {
    buf = Buffer.concat([buf, d]);
    while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
      const r = decodeMessage(buf.subarray(2, 2 + buf.readUInt16BE(0)));
      if (!r.ok) throw new Error(r.reason);
      answers.push(r.message);
      buf = buf.subarray(2 + buf.readUInt16BE(0));
    }
  });
  s.on('end', () => (ended = true));
  s.on('close', () => (closed = true));
  await net.run(5);
  for (const c of chunks) {
    s.write(c);
    await net.run(1);
  }
  await net.run(ms);
  if (!closed) s.destroy();
  return { answers, ended, closed };
}

const framed = (m: DnsMessage | Uint8Array): Uint8Array => {
  const b = m instanceof Uint8Array ? m : encodeMessage(m);
  return Uint8Array.from([b.length >> 8, b.length & 0xff, ...b]);
};

describe('answers over UDP (RFC 1035 §4.2.1)', () => {
  it('an A query is answered with the A records, the ID, RD and the question echoed, RA set', async () => {
    const { net, guest, dns } = await setup();
    const a = await udpAnswer(net, guest, query('server.test', DNS_TYPE.A));
    expect(a.header).toMatchObject({ id: 0x5151, qr: true, rd: true, ra: true, aa: false, tc: false, rcode: 0 });
    expect(a.questions).toEqual([{ name: 'server.test', type: 1, class: 1 }]);
    expect(a.answers).toEqual([{ name: 'server.test', type: 1, class: 1, ttl: 120, address: '10.98.0.2' }]);
    expect(dns.counters).toMatchObject({ udpQueries: 1, responses: { NOERROR: 1 } });
  });

  it('an AAAA query is answered with the AAAA records (RFC 3596), over IPv6 too', async () => {
    const { net, guest } = await setup();
    const a = await udpAnswer(net, guest, query('server.test', DNS_TYPE.AAAA), 'fd00::2');
    expect(a.answers).toEqual([{ name: 'server.test', type: 28, class: 1, ttl: 120, address: 'fd00:98::2' }]);
  });

  it('a name that does not exist is NXDOMAIN with no answers', async () => {
    const { net, guest, dns } = await setup();
    const a = await udpAnswer(net, guest, query('nowhere.test', DNS_TYPE.A));
    expect(a.header.rcode).toBe(3);
    expect(a.answers).toEqual([]);
    expect(dns.counters.responses.NXDOMAIN).toBe(1);
  });

  it('a name without addresses of the family asked is NOERROR with no answer (NODATA, RFC 2308 §2.2)', async () => {
    const { net, guest } = await setup();
    const a = await udpAnswer(net, guest, query('v4only.test', DNS_TYPE.AAAA));
    expect([a.header.rcode, a.answers]).toEqual([0, []]);
  });

  it('an alias is answered with its CNAME, then the addresses under the canonical name', async () => {
    const { net, guest } = await setup();
    const a = await udpAnswer(net, guest, query('alias.test', DNS_TYPE.A));
    expect(a.answers).toEqual([
      { name: 'alias.test', type: 5, class: 1, ttl: 120, target: 'real.test' },
      { name: 'real.test', type: 1, class: 1, ttl: 120, address: '192.0.2.8' },
    ]);
    const c = await udpAnswer(net, guest, query('alias.test', DNS_TYPE.CNAME));
    expect(c.answers).toEqual([{ name: 'alias.test', type: 5, class: 1, ttl: 120, target: 'real.test' }]);
  });

  it('the question is echoed in the case it was asked (0x20), the resolver asked the same name', async () => {
    const resolver = fakeResolver();
    const { net, guest } = await setup({ resolver });
    const a = await udpAnswer(net, guest, query('SeRvEr.TeSt', DNS_TYPE.A));
    expect(a.questions[0]!.name).toBe('SeRvEr.TeSt');
    expect(a.answers[0]).toMatchObject({ name: 'SeRvEr.TeSt', address: '10.98.0.2' });
    expect(resolver.calls).toEqual(['SeRvEr.TeSt/4']);
  });

  it('a resolver with no TTL gets the responder\'s ttl option', async () => {
    const resolver: DnsResolver = { resolve: () => Promise.resolve({ addresses: ['192.0.2.1'] }) };
    const { net, guest } = await setup({ resolver, ttl: 7 });
    expect((await udpAnswer(net, guest, query('x.test', DNS_TYPE.A))).answers[0]!.ttl).toBe(7);
  });
});

describe('what is not implemented is NOTIMP, what cannot be asked is REFUSED', () => {
  it('an opcode other than QUERY (2, STATUS) is NOTIMP', async () => {
    const { net, guest } = await setup();
    const q = query('server.test', DNS_TYPE.A);
    q.header.opcode = 2;
    expect((await udpAnswer(net, guest, q)).header).toMatchObject({ opcode: 2, rcode: 4 });
  });

  it('a type other than A, AAAA and CNAME (MX, ANY) is NOTIMP, and the resolver is not asked', async () => {
    const resolver = fakeResolver();
    const { net, guest } = await setup({ resolver });
    expect((await udpAnswer(net, guest, query('server.test', DNS_TYPE.MX))).header.rcode).toBe(4);
    expect((await udpAnswer(net, guest, query('server.test', DNS_TYPE.ANY))).header.rcode).toBe(4);
    expect(resolver.calls).toEqual([]);
  });

  it('a class other than IN (CH: version.bind) is NOTIMP', async () => {
    const { net, guest } = await setup();
    const q = query('version.bind', 16);
    q.questions[0]!.class = 3;
    expect((await udpAnswer(net, guest, q)).header.rcode).toBe(4);
  });

  it('a name with a byte a host resolver cannot take (a dot inside a label) is REFUSED', async () => {
    const resolver = fakeResolver();
    const { net, guest } = await setup({ resolver });
    expect((await udpAnswer(net, guest, query('a\\.b.test', DNS_TYPE.A))).header.rcode).toBe(5);
    expect(resolver.calls).toEqual([]);
  });
});

describe('malformed queries are counted, and answered FORMERR or dropped, never a crash', () => {
  it('a query cut inside its question is FORMERR with its ID and no question', async () => {
    const { net, guest, dns } = await setup();
    const b = encodeMessage(query('server.test', DNS_TYPE.A, {}, 0x0bad));
    const got = await udpAsk(net, guest, b.subarray(0, b.length - 3));
    expect(got.length).toBe(1);
    const r = decodeMessage(got[0]!);
    expect(r.ok && [r.message.header.id, r.message.header.rcode, r.message.questions]).toEqual([0x0bad, 1, []]);
    expect(dns.counters.malformed).toEqual({ truncated: 1 });
  });

  it('a message shorter than a header is dropped and counted short_header', async () => {
    const { net, guest, dns } = await setup();
    expect(await udpAsk(net, guest, Uint8Array.of(1, 2, 3, 4, 5))).toEqual([]);
    expect(dns.counters).toMatchObject({ malformed: { short_header: 1 }, dropped: 1 });
  });

  it('a compression loop is FORMERR (bad_pointer)', async () => {
    const { net, guest, dns } = await setup();
    const b = Uint8Array.from([0, 7, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12, 0, 1, 0, 1]);
    const got = await udpAsk(net, guest, b);
    expect(got.length).toBe(1);
    expect(dns.counters.malformed).toEqual({ bad_pointer: 1 });
  });

  it('a response (QR = 1) is never answered, so two responders cannot ping-pong', async () => {
    const { net, guest, dns } = await setup();
    const q = query('server.test', DNS_TYPE.A);
    q.header.qr = true;
    expect(await udpAsk(net, guest, encodeMessage(q))).toEqual([]);
    expect(dns.counters.dropped).toBe(1);
  });

  it('QDCOUNT 2 is FORMERR (RFC 9619)', async () => {
    const { net, guest } = await setup();
    const q = query('server.test', DNS_TYPE.A);
    q.questions.push({ name: 'v4only.test', type: 1, class: 1 });
    expect((await udpAnswer(net, guest, q)).header.rcode).toBe(1);
  });
});

describe('EDNS(0) and the UDP size limit (RFC 6891, RFC 1035 §4.2.1)', () => {
  const opt = (udpSize: number, version = 0): DnsMessage['edns'] => ({ udpSize, extendedRcode: 0, version, dnssecOk: false, options: new Uint8Array(0) });

  it('a query with an OPT record gets one back: our size 1232, version 0', async () => {
    const { net, guest } = await setup();
    const a = await udpAnswer(net, guest, query('server.test', DNS_TYPE.A, { edns: opt(4096) }));
    expect(a.edns).toMatchObject({ udpSize: 1232, version: 0, extendedRcode: 0 });
    expect(a.answers.length).toBe(1);
  });

  it('EDNS version 1 is BADVERS: extended RCODE 1, header RCODE 0 (RFC 6891 §6.1.3)', async () => {
    const { net, guest } = await setup();
    const a = await udpAnswer(net, guest, query('server.test', DNS_TYPE.A, { edns: opt(1232, 1) }));
    expect([a.header.rcode, a.edns?.extendedRcode, a.edns?.version]).toEqual([0, 1, 0]);
  });

  it('an answer over 512 bytes without EDNS is cut to the question with TC set', async () => {
    const { net, guest, dns } = await setup();
    const a = await udpAnswer(net, guest, query('many.test', DNS_TYPE.A));
    expect([a.header.tc, a.answers.length, a.questions.length]).toEqual([true, 0, 1]);
    expect(dns.counters.truncated).toBe(1);
  });

  it('the same answer fits with EDNS 1232 (40 A records: 12 + 15 + 40 × 16 + 11 bytes)', async () => {
    const { net, guest } = await setup();
    const a = await udpAnswer(net, guest, query('many.test', DNS_TYPE.A, { edns: opt(1232) }));
    expect([a.header.tc, a.answers.length]).toEqual([false, 40]);
  });
});

describe('TCP (RFC 1035 §4.2.2, RFC 7766)', () => {
  it('a query behind a two-byte length gets its answer behind one', async () => {
    const { net, guest, dns } = await setup();
    const r = await tcpSession(net, guest, [framed(query('server.test', DNS_TYPE.A))]);
    expect(r.answers.map((a) => a.answers)).toEqual([[{ name: 'server.test', type: 1, class: 1, ttl: 120, address: '10.98.0.2' }]]);
    expect(dns.counters).toMatchObject({ tcpQueries: 1, tcpConnections: 1 });
  });

  it('the answer too large for UDP comes whole over TCP', async () => {
    const { net, guest } = await setup();
    const r = await tcpSession(net, guest, [framed(query('many.test', DNS_TYPE.A))]);
    expect([r.answers[0]!.header.tc, r.answers[0]!.answers.length]).toEqual([false, 40]);
  });

  it('a query written a byte at a time is reassembled', async () => {
    const { net, guest } = await setup();
    const f = framed(query('v4only.test', DNS_TYPE.A));
    const r = await tcpSession(net, guest, Array.from(f, (b) => Uint8Array.of(b)));
    expect(r.answers[0]!.answers[0]).toMatchObject({ address: '192.0.2.7' });
  });

  it('pipelined queries are each answered as soon as resolved, out of order (§6.2.1.1: matched by ID)', async () => {
    const held = new Map<string, (r: ResolvedName) => void>();
    const resolver: DnsResolver = { resolve: (name) => new Promise((resolve) => held.set(name, resolve)) };
    const { net, guest } = await setup({ resolver });
    const s = guest.net.connect({ host: GW, port: 53 });
    let buf = Buffer.alloc(0);
    s.on('data', (d: Buffer) => (buf = Buffer.concat([buf, d])));
    await net.run(5);
    s.write(Uint8Array.from([...framed(query('slow.test', 1, {}, 1)), ...framed(query('quick.test', 1, {}, 2))]));
    await net.run(20);
    expect([...held.keys()]).toEqual(['slow.test', 'quick.test']);
    held.get('quick.test')!({ addresses: ['192.0.2.2'] });
    await net.run(20);
    held.get('slow.test')!({ addresses: ['192.0.2.1'] });
    await net.run(20);
    const ids: number[] = [];
    for (let at = 0; at + 2 <= buf.length; at += 2 + buf.readUInt16BE(at)) ids.push(buf.readUInt16BE(at + 2));
    expect(ids).toEqual([2, 1]);
    s.destroy();
  });

  it('a zero length prefix frames nothing: counted, and the connection ends with our FIN', async () => {
    const { net, guest, dns } = await setup();
    const r = await tcpSession(net, guest, [Uint8Array.of(0, 0, 1, 2, 3)]);
    expect(r.ended).toBe(true);
    expect(dns.counters.malformed).toEqual({ zero_length: 1 });
  });

  it('a connection idle for tcpIdleMs is closed by us with a FIN (§6.2.3)', async () => {
    const { net, guest } = await setup({ tcpIdleMs: 1000 });
    const early = await tcpSession(net, guest, [framed(query('server.test', 1))], 500);
    expect(early.ended).toBe(false);
    const late = await tcpSession(net, guest, [framed(query('server.test', 1))], 1500);
    expect([late.answers.length, late.ended]).toEqual([1, true]);
  });

  it("the stub's FIN after its query still gets the answer, then ours", async () => {
    let release: (r: ResolvedName) => void = () => {};
    const resolver: DnsResolver = { resolve: () => new Promise((r) => (release = r)) };
    const { net, guest } = await setup({ resolver });
    const s = guest.net.connect({ host: GW, port: 53, allowHalfOpen: true });
    let buf = Buffer.alloc(0);
    let ended = false;
    s.on('data', (d: Buffer) => (buf = Buffer.concat([buf, d])));
    s.on('end', () => (ended = true));
    await net.run(5);
    s.end(framed(query('x.test', 1)));
    await net.run(50);
    expect(ended).toBe(false); // the query is still being resolved
    release({ addresses: ['192.0.2.9'] });
    await net.run(50);
    expect(ended).toBe(true);
    const r = decodeMessage(buf.subarray(2));
    expect(r.ok && r.message.answers[0]).toMatchObject({ address: '192.0.2.9' });
  });
});

describe('resolver failures', () => {
  it('a resolver that does not answer within timeoutMs gives SERVFAIL (virtual time)', async () => {
    const { net, guest, dns } = await setup({ resolver: { resolve: () => new Promise<never>(() => {}) }, timeoutMs: 2000 });
    const s = guest.dgram.createSocket('udp4');
    const got: Buffer[] = [];
    s.on('message', (m: Buffer) => got.push(m));
    s.send(encodeMessage(query('x.test', 1)), 53, GW);
    await net.run(1900);
    expect(got).toEqual([]);
    await net.run(200);
    const r = decodeMessage(got[0]!);
    expect(r.ok && r.message.header.rcode).toBe(2);
    expect(dns.counters.timeouts).toBe(1);
    s.close();
  });

  it('a resolver error other than ENOTFOUND (ETIMEOUT, a throw) is SERVFAIL', async () => {
    let n = 0;
    const resolver: DnsResolver = {
      resolve: () => {
        if (n++ === 0) return Promise.reject(Object.assign(new Error('t'), { code: 'ETIMEOUT' }));
        throw new Error('a bug in the resolver');
      },
    };
    const { net, guest } = await setup({ resolver });
    expect((await udpAnswer(net, guest, query('x.test', 1))).header.rcode).toBe(2);
    expect((await udpAnswer(net, guest, query('x.test', 1))).header.rcode).toBe(2);
  });

  it('an address of the wrong family from the resolver is SERVFAIL, not a bad record', async () => {
    const { net, guest } = await setup({ resolver: { resolve: () => Promise.resolve({ addresses: ['fd00::1'] }) } });
    expect((await udpAnswer(net, guest, query('x.test', 1))).header.rcode).toBe(2);
  });

  it('beyond maxPending queries in flight, the next is SERVFAIL at once', async () => {
    const { net, guest, dns } = await setup({ resolver: { resolve: () => new Promise<never>(() => {}) }, maxPending: 2, timeoutMs: 60_000 });
    const s = guest.dgram.createSocket('udp4');
    const got: Buffer[] = [];
    s.on('message', (m: Buffer) => got.push(m));
    for (let id = 1; id <= 3; id++) s.send(encodeMessage(query('x.test', 1, {}, id)), 53, GW);
    await net.run(50);
    expect(got.length).toBe(1);
    const r = decodeMessage(got[0]!);
    expect(r.ok && [r.message.header.id, r.message.header.rcode]).toEqual([3, 2]);
    expect([dns.counters.overloaded, dns.pending]).toEqual([1, 2]);
    s.close();
  });
});

describe('start and close', () => {
  it('listens on the non-loopback addresses by default; port 53 taken is EADDRINUSE', async () => {
    const net = new SimNetwork({ seed: 1 });
    const gw = net.host(GW);
    gw.dgram.createSocket('udp4').bind(53, GW);
    await net.run(1);
    const p = startDnsResponder(gw, { resolver: fakeResolver() });
    const settled = p.then(
      () => 'ok',
      (e: NodeJS.ErrnoException) => e.code,
    );
    await net.run(5);
    expect(await settled).toBe('EADDRINUSE');
  });

  it('close() ends open TCP connections with a FIN and stops answering UDP', async () => {
    const { net, guest, dns } = await setup();
    const s = guest.net.connect({ host: GW, port: 53 });
    let ended = false;
    s.on('end', () => (ended = true));
    await net.run(5);
    const closing = dns.close();
    await net.run(50);
    await closing;
    expect(ended).toBe(true);
    expect(await udpAsk(net, guest, encodeMessage(query('server.test', 1)))).toEqual([]);
  });
});
