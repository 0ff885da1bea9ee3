/**
 * The DNS message codec (src/gateway/dns-wire.ts), by the RFC sections it implements: the header
 * (RFC 1035 §4.1.1), the question (§4.1.2), records (§4.1.3, A §3.4.1, CNAME §3.3.1, AAAA RFC 3596
 * §2.2), name compression (§4.1.4), name limits (§2.3.4), EDNS(0)'s OPT record (RFC 6891 §6.1),
 * and hostile input: nothing throws, everything malformed has a reason.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatIPv6, parseIPv6 } from '../../src/wire/addr.js';
import { canonicalName, decodeMessage, DNS_TYPE, encodeMessage, nameLabels, type DnsMessage, type DnsRecord } from '../../src/gateway/dns-wire.js';

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));

function query(name: string, type: number, id = 0x1234): DnsMessage {
  return {
    header: { id, qr: false, opcode: 0, aa: false, tc: false, rd: true, ra: false, ad: false, cd: false, rcode: 0 },
    questions: [{ name, type, class: 1 }],
    answers: [],
    authorities: [],
    additionals: [],
  };
}

function decoded(bytes: Uint8Array): DnsMessage {
  const r = decodeMessage(bytes);
  if (!r.ok) throw new Error(`did not decode: ${r.reason}`);
  return r.message;
}

describe('RFC 1035 §4.1.1 header', () => {
  it('a standard query for example.com A is the bytes dig sends (ID, RD, QDCOUNT 1)', () => {
    const bytes = encodeMessage(query('example.com', DNS_TYPE.A, 0xabcd));
    expect(Buffer.from(bytes).toString('hex')).toBe('abcd01000001000000000000' + '076578616d706c6503636f6d00' + '00010001');
  });

  it('every flag and the RCODE sit in their bits', () => {
    const m = query('a', DNS_TYPE.A);
    m.header = { id: 1, qr: true, opcode: 2, aa: true, tc: true, rd: true, ra: true, ad: true, cd: true, rcode: 3 };
    const b = encodeMessage(m);
    // QR 1, OPCODE 0010, AA 1, TC 1, RD 1 | RA 1, Z 0, AD 1, CD 1, RCODE 0011
    expect([b[2], b[3]]).toEqual([0b1001_0111, 0b1011_0011]);
    expect(decoded(b).header).toEqual(m.header);
  });

  it('fewer than 12 bytes is short_header, with no ID to answer', () => {
    expect(decodeMessage(hex('abcd0100000100'))).toEqual({ ok: false, reason: 'short_header', id: null, qr: null, opcode: null });
  });
});

describe('RFC 1035 §4.1.2–§4.1.3 question and records', () => {
  it('A, AAAA and CNAME records round-trip with their TTLs', () => {
    const m = query('www.example.com', DNS_TYPE.A);
    m.header.qr = true;
    m.answers = [
      { name: 'www.example.com', type: DNS_TYPE.CNAME, class: 1, ttl: 300, target: 'web.example.net' },
      { name: 'web.example.net', type: DNS_TYPE.A, class: 1, ttl: 60, address: '93.184.216.34' },
      { name: 'web.example.net', type: DNS_TYPE.AAAA, class: 1, ttl: 0x7fffffff, address: '2606:2800:220:1::248' },
    ];
    expect(decoded(encodeMessage(m))).toEqual(m);
  });

  it('a record of another type keeps its RDATA as bytes (MX)', () => {
    const m = query('example.com', DNS_TYPE.MX);
    m.answers = [{ name: 'example.com', type: DNS_TYPE.MX, class: 1, ttl: 5, data: hex('000a 046d61696c c00c') }];
    expect(decoded(encodeMessage(m)).answers).toEqual(m.answers);
  });

  it('an A record whose RDLENGTH is not 4 is bad_rdata', () => {
    const ok = encodeMessage({ ...query('a', 1), answers: [{ name: 'a', type: 1, class: 1, ttl: 1, address: '1.2.3.4' }] });
    const bad = Uint8Array.from([...ok.subarray(0, ok.length - 6), 0, 3, 1, 2, 3]);
    expect(decodeMessage(bad)).toMatchObject({ ok: false, reason: 'bad_rdata', id: 0x1234, qr: false });
  });

  it('an AAAA record whose RDLENGTH is not 16 is bad_rdata', () => {
    const ok = encodeMessage({ ...query('a', 28), answers: [{ name: 'a', type: 28, class: 1, ttl: 1, address: '::1' }] });
    const bad = Uint8Array.from([...ok.subarray(0, ok.length - 18), 0, 4, 1, 2, 3, 4]);
    expect(decodeMessage(bad)).toMatchObject({ ok: false, reason: 'bad_rdata' });
  });

  it('a question cut short is truncated; a byte after the last record is trailing_bytes', () => {
    const q = encodeMessage(query('example.com', 1));
    expect(decodeMessage(q.subarray(0, q.length - 1))).toMatchObject({ ok: false, reason: 'truncated', id: 0x1234 });
    expect(decodeMessage(Uint8Array.from([...q, 0]))).toMatchObject({ ok: false, reason: 'trailing_bytes' });
  });

  it('counts larger than the message holds are truncated, not a long loop', () => {
    const q = encodeMessage(query('a', 1));
    q[6] = 0xff; // ANCOUNT 65,280
    q[7] = 0x00;
    expect(decodeMessage(q)).toMatchObject({ ok: false, reason: 'truncated' });
  });
});

describe('RFC 1035 §4.1.4 name compression', () => {
  it('an answer name written as a pointer to the question (c00c) decodes to the question name', () => {
    const bytes = hex('0001 8180 0001 0001 0000 0000' + '076578616d706c6503636f6d00 0001 0001' + 'c00c 0001 0001 0000003c 0004 5db8d822');
    const m = decoded(bytes);
    expect(m.answers).toEqual([{ name: 'example.com', type: 1, class: 1, ttl: 60, address: '93.184.216.34' }]);
  });

  it('a pointer after labels continues the name (www + pointer to example.com)', () => {
    const bytes = hex('0001 8180 0001 0001 0000 0000' + '076578616d706c6503636f6d00 0001 0001' + '03777777c00c 0001 0001 00000001 0004 01020304');
    expect(decoded(bytes).answers[0]!.name).toBe('www.example.com');
  });

  it('the encoder compresses a repeated suffix, keeping the exact case of the question (0x20 randomisation)', () => {
    const m = query('ExAmPlE.CoM', DNS_TYPE.A);
    m.answers = [{ name: 'ExAmPlE.CoM', type: 1, class: 1, ttl: 1, address: '1.2.3.4' }];
    const b = encodeMessage(m);
    const at = 12 + 13 + 4; // header, question name, type and class
    expect([b[at], b[at + 1]]).toEqual([0xc0, 0x0c]);
    expect(decoded(b).answers[0]!.name).toBe('ExAmPlE.CoM');
  });

  it('a pointer to itself is bad_pointer (the loop it would make)', () => {
    expect(decodeMessage(hex('0001 0100 0001 0000 0000 0000' + 'c00c 0001 0001'))).toMatchObject({ ok: false, reason: 'bad_pointer', id: 1 });
  });

  it('a forward pointer is bad_pointer, and so is a pair of pointers to each other', () => {
    expect(decodeMessage(hex('0001 0100 0001 0000 0000 0000' + 'c00e 00 01 0001 0001'))).toMatchObject({ ok: false, reason: 'bad_pointer' });
    // label "a" at 12, then a pointer back to 12: the name would repeat "a" forever
    expect(decodeMessage(hex('0001 0100 0001 0000 0000 0000' + '0161 c00c 0001 0001'))).toMatchObject({ ok: false, reason: 'bad_pointer' });
  });

  it('a pointer cut in half is truncated', () => {
    expect(decodeMessage(hex('0001 0100 0001 0000 0000 0000 c0'))).toMatchObject({ ok: false, reason: 'truncated' });
  });

  it('label types 0x40 and 0x80 are bad_label_type (RFC 6891 §5)', () => {
    expect(decodeMessage(hex('0001 0100 0001 0000 0000 0000 4101 00 0001 0001'))).toMatchObject({ ok: false, reason: 'bad_label_type' });
    expect(decodeMessage(hex('0001 0100 0001 0000 0000 0000 8101 00 0001 0001'))).toMatchObject({ ok: false, reason: 'bad_label_type' });
  });
});

describe('RFC 1035 §2.3.4 size limits, and names as text', () => {
  it('a 63-octet label is the longest; 64 cannot be written', () => {
    expect(nameLabels(`${'a'.repeat(63)}.com`)[0]!.length).toBe(63);
    expect(() => nameLabels(`${'a'.repeat(64)}.com`)).toThrow(/at most 63/);
  });

  it('a name of 255 octets on the wire decodes; 257 is name_too_long', () => {
    const name = (octets: number): string => {
      // labels of 63 plus one shorter, each costing len+1, plus the root's 1
      const labels: string[] = [];
      let left = octets - 1;
      while (left > 0) {
        const n = Math.min(63, left - 1);
        labels.push('x'.repeat(n));
        left -= n + 1;
      }
      return labels.join('.');
    };
    expect(() => encodeMessage(query(name(256), 1))).toThrow(/at most 255/);
    const ok = encodeMessage(query(name(255), 1));
    expect(decoded(ok).questions[0]!.name).toBe(name(255));
    // 256 by hand, which the encoder refuses to write: four 63-octet labels (4 × 64) and the root
    const labels = [63, 63, 63, 63].flatMap((n) => [n, ...Array<number>(n).fill(0x78)]);
    const hand = Uint8Array.from([0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, ...labels, 0, 0, 1, 0, 1]);
    expect(decodeMessage(hand)).toMatchObject({ ok: false, reason: 'name_too_long' });
  });

  it('dots, backslashes and unprintable bytes inside a label are escaped, and round-trip', () => {
    const b = hex('0001 0100 0001 0000 0000 0000' + '05 612e625c00 03636f6d 00 0001 0001');
    const m = decoded(b);
    expect(m.questions[0]!.name).toBe('a\\.b\\\\\\000.com');
    expect(Buffer.from(encodeMessage(m)).equals(Buffer.from(b))).toBe(true);
  });

  it('the root is the empty name; names compare without case (RFC 4343)', () => {
    expect(decoded(encodeMessage(query('', DNS_TYPE.A))).questions[0]!.name).toBe('');
    expect(canonicalName('WWW.Example.COM.')).toBe('www.example.com');
  });
});

describe('RFC 6891 §6.1 EDNS(0) OPT record', () => {
  it("dig's OPT record (size 1232, DO clear, a cookie option) becomes `edns`, not an additional record", () => {
    const b = hex('0001 0120 0001 0000 0000 0001' + '01610000010001' + '00 0029 04d0 00000000 000c 000a 0008 0102030405060708');
    const m = decoded(b);
    expect(m.additionals).toEqual([]);
    expect(m.edns).toEqual({ udpSize: 1232, extendedRcode: 0, version: 0, dnssecOk: false, options: hex('000a00080102030405060708') });
    expect(Buffer.from(encodeMessage(m)).equals(Buffer.from(b))).toBe(true);
  });

  it('the extended RCODE, version and DO bit are read from the TTL field', () => {
    const b = hex('0001 8100 0000 0000 0000 0001' + '00 0029 0200 01028000 0000');
    expect(decoded(b).edns).toMatchObject({ udpSize: 512, extendedRcode: 1, version: 2, dnssecOk: true });
  });

  it('two OPT records, or an OPT record in the answer section, are bad_opt', () => {
    const opt = '00 0029 0200 00000000 0000';
    expect(decodeMessage(hex(`0001 0100 0000 0000 0000 0002 ${opt} ${opt}`))).toMatchObject({ ok: false, reason: 'bad_opt' });
    expect(decodeMessage(hex(`0001 0100 0000 0001 0000 0000 ${opt}`))).toMatchObject({ ok: false, reason: 'bad_opt' });
  });
});

describe('hostile input', () => {
  const label = fc.uint8Array({ minLength: 1, maxLength: 20 });
  const name = fc
    .array(label, { minLength: 0, maxLength: 5 })
    .map((ls) => ls.map((l) => Array.from(l, (c) => (c === 0x2e || c === 0x5c ? `\\${String.fromCharCode(c)}` : c <= 0x20 || c >= 0x7f ? `\\${String(c).padStart(3, '0')}` : String.fromCharCode(c))).join('')).join('.'));
  const record: fc.Arbitrary<DnsRecord> = fc.oneof(
    fc.record({ name, type: fc.constant(1 as const), class: fc.constant(1), ttl: fc.nat(), address: fc.ipV4() }),
    fc.record({ name, type: fc.constant(28 as const), class: fc.constant(1), ttl: fc.nat(), address: fc.ipV6() }),
    fc.record({ name, type: fc.constant(5 as const), class: fc.constant(1), ttl: fc.nat(), target: name }),
    fc.record({ name, type: fc.constantFrom(15, 16, 99), class: fc.constant(1), ttl: fc.nat(), data: fc.uint8Array({ maxLength: 40 }) }),
  );
  const message: fc.Arbitrary<DnsMessage> = fc.record({
    header: fc.record({ id: fc.nat(0xffff), qr: fc.boolean(), opcode: fc.nat(15), aa: fc.boolean(), tc: fc.boolean(), rd: fc.boolean(), ra: fc.boolean(), ad: fc.boolean(), cd: fc.boolean(), rcode: fc.nat(15) }),
    questions: fc.array(fc.record({ name, type: fc.nat(0xffff), class: fc.nat(0xffff) }), { maxLength: 3 }),
    answers: fc.array(record, { maxLength: 4 }),
    authorities: fc.array(record, { maxLength: 2 }),
    additionals: fc.array(record, { maxLength: 2 }),
  });

  it('every message the encoder writes decodes to itself (addresses in their canonical text)', () => {
    fc.assert(
      fc.property(message, (m) => {
        const back = decoded(encodeMessage(m));
        const norm = (r: DnsRecord): DnsRecord => ('address' in r && r.type === 28 ? { ...r, address: formatIPv6(parseIPv6(r.address)!) } : r);
        const all = (x: DnsMessage): DnsMessage => ({ ...x, answers: x.answers.map(norm), authorities: x.authorities.map(norm), additionals: x.additionals.map(norm) });
        expect(all(back)).toEqual(all(m));
      }),
      { numRuns: 300 },
    );
  });

  it('random bytes never throw: they decode, or say why not', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (b) => {
        const r = decodeMessage(b);
        if (!r.ok) expect(typeof r.reason).toBe('string');
      }),
      { numRuns: 2000 },
    );
  });

  it('a valid message with bytes flipped, cut or spliced never throws', () => {
    fc.assert(
      fc.property(message, fc.array(fc.tuple(fc.nat(), fc.nat(255)), { maxLength: 6 }), fc.nat(), (m, flips, cut) => {
        const b = encodeMessage(m);
        for (const [at, v] of flips) if (b.length) b[at % b.length] = v;
        const r = decodeMessage(b.subarray(0, b.length ? cut % (b.length + 1) : 0));
        if (r.ok) expect(() => encodeMessage(r.message)).not.toThrow();
      }),
      { numRuns: 1000 },
    );
  });
});
