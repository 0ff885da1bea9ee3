/**
 * A DNS message codec (RFC 1035 §4), as much as a stub-facing responder needs: the header, the
 * question, A (RFC 1035 §3.4.1), AAAA (RFC 3596 §2.2) and CNAME (RFC 1035 §3.3.1) records, every
 * other record kept as raw RDATA, and the EDNS(0) OPT pseudo-record (RFC 6891 §6.1).
 *
 * Decoding is bounds-checked and never throws: a malformed message gives a typed reason (and the
 * query ID when the header was whole, so a responder can answer FORMERR). Names are decompressed
 * (RFC 1035 §4.1.4) with every pointer required to point strictly before the name it continues,
 * so no chain of pointers can loop; a label over 63 octets, a name over 255 (RFC 1035 §2.3.4) and
 * the extended label types (0x40, 0x80: RFC 6891 §5 deprecated them) are refused.
 *
 * Names are text in the master-file style (RFC 1035 §5.1, RFC 4343 §2.1): labels joined by dots,
 * no trailing dot, the root as ''; a '.' or '\' inside a label is escaped with '\', and any byte
 * outside printable ASCII is written \DDD, so every name on the wire has exactly one text form and
 * round-trips. Encoding compresses names against those already written (exact bytes, so a
 * question's 0x20-randomised case is echoed as sent).
 */
import { formatIPv4, formatIPv6, parseIPv4, parseIPv6 } from '../wire/addr.js';
import { makeError } from '../errors.js';

/** Record types (RFC 1035 §3.2.2, RFC 3596 §2.1, RFC 6891 §6.1.1, RFC 8482). */
export const DNS_TYPE = { A: 1, NS: 2, CNAME: 5, SOA: 6, PTR: 12, MX: 15, TXT: 16, AAAA: 28, SRV: 33, OPT: 41, ANY: 255 } as const;
/** The Internet class (RFC 1035 §3.2.4). */
export const DNS_CLASS_IN = 1;
/** Response codes (RFC 1035 §4.1.1; BADVERS is EDNS's extended code 16, RFC 6891 §9). */
export const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5, BADVERS: 16 } as const;
/** The standard query (RFC 1035 §4.1.1 OPCODE 0). */
export const OPCODE_QUERY = 0;

/** The fixed 12-byte header, less its four counts (the lengths of the sections stand for them). */
export interface DnsHeader {
  id: number;
  /** a response (QR = 1) */
  qr: boolean;
  opcode: number;
  /** authoritative answer */
  aa: boolean;
  /** truncated: the answer did not fit, ask again over TCP (RFC 1035 §4.2.1, RFC 7766 §5) */
  tc: boolean;
  /** recursion desired */
  rd: boolean;
  /** recursion available */
  ra: boolean;
  /** authentic data, checking disabled (RFC 4035 §3.2) */
  ad: boolean;
  cd: boolean;
  /** the header's 4-bit RCODE; with EDNS the upper 8 bits travel in the OPT record */
  rcode: number;
}

export interface DnsQuestion {
  name: string;
  type: number;
  class: number;
}

interface RecordBase {
  name: string;
  class: number;
  ttl: number;
}
/** An A (type 1, 4 bytes) or AAAA (type 28, 16 bytes) record. */
export interface AddressRecord extends RecordBase {
  type: 1 | 28;
  address: string;
}
export interface CnameRecord extends RecordBase {
  type: 5;
  target: string;
}
/** Any other type, its RDATA kept as bytes (names inside it are not decompressed). */
export interface RawRecord extends RecordBase {
  type: number;
  data: Uint8Array;
}
export type DnsRecord = AddressRecord | CnameRecord | RawRecord;

/** EDNS(0)'s OPT pseudo-record (RFC 6891 §6.1.2–§6.1.3). */
export interface Edns {
  /** the requestor's UDP payload size (the OPT record's CLASS) */
  udpSize: number;
  /** the upper 8 bits of the 12-bit RCODE */
  extendedRcode: number;
  version: number;
  /** DNSSEC OK (RFC 3225) */
  dnssecOk: boolean;
  /** the options, raw (code, length, data)... */
  options: Uint8Array;
}

export interface DnsMessage {
  header: DnsHeader;
  questions: DnsQuestion[];
  answers: DnsRecord[];
  authorities: DnsRecord[];
  /** the additional section less the OPT record, which is `edns` */
  additionals: DnsRecord[];
  edns?: Edns;
}

/** Why a message could not be decoded. */
export type DnsDecodeReason =
  /** fewer than the header's 12 bytes */
  | 'short_header'
  /** a name, question or record runs past the end */
  | 'truncated'
  /** a name over 255 octets on the wire (a label over 63 is a bad label type: its length byte has 0x40 or 0x80 set) */
  | 'name_too_long'
  /** a compression pointer to itself or forward: the only way a chain of pointers can loop */
  | 'bad_pointer'
  /** label types 0x40 / 0x80 (RFC 6891 §5) */
  | 'bad_label_type'
  /** A RDATA not 4 bytes, AAAA not 16, a CNAME whose name does not fill its RDATA */
  | 'bad_rdata'
  /** an OPT record with a name other than the root, or more than one (RFC 6891 §6.1.1) */
  | 'bad_opt'
  /** bytes left after the last record the counts announce */
  | 'trailing_bytes';

export type DnsDecodeResult =
  | { ok: true; message: DnsMessage }
  /** `id` and `qr` are known when the header was whole: enough to answer FORMERR to a query */
  | { ok: false; reason: DnsDecodeReason; id: number | null; qr: boolean | null; opcode: number | null };

const HEADER = 12;
const MAX_NAME = 255;
const MAX_LABEL = 63;

class Malformed {
  constructor(readonly reason: DnsDecodeReason) {}
}

/** Decode one DNS message (a UDP payload, or a TCP message without its length prefix). */
export function decodeMessage(buf: Uint8Array): DnsDecodeResult {
  if (buf.length < HEADER) return { ok: false, reason: 'short_header', id: null, qr: null, opcode: null };
  const header = decodeHeader(buf);
  try {
    const r = new Reader(buf, HEADER);
    const qd = u16(buf, 4);
    const counts = [u16(buf, 6), u16(buf, 8), u16(buf, 10)];
    const questions: DnsQuestion[] = [];
    for (let i = 0; i < qd; i++) {
      const name = r.name();
      questions.push({ name, type: r.u16(), class: r.u16() });
    }
    const sections: DnsRecord[][] = [[], [], []];
    let edns: Edns | undefined;
    for (let s = 0; s < 3; s++) {
      for (let i = 0; i < counts[s]!; i++) {
        const rec = r.record();
        if (rec.type === DNS_TYPE.OPT) {
          if (s !== 2 || edns || rec.name !== '') throw new Malformed('bad_opt');
          const ttl = rec.ttl;
          edns = { udpSize: rec.class, extendedRcode: ttl >>> 24, version: (ttl >>> 16) & 0xff, dnssecOk: (ttl & 0x8000) !== 0, options: (rec as RawRecord).data };
        } else {
          sections[s]!.push(rec);
        }
      }
    }
    if (r.pos !== buf.length) throw new Malformed('trailing_bytes');
    const message: DnsMessage = { header, questions, answers: sections[0]!, authorities: sections[1]!, additionals: sections[2]! };
    if (edns) message.edns = edns;
    return { ok: true, message };
  } catch (err) {
    if (!(err instanceof Malformed)) throw err;
    return { ok: false, reason: err.reason, id: header.id, qr: header.qr, opcode: header.opcode };
  }
}

function decodeHeader(buf: Uint8Array): DnsHeader {
  const f = u16(buf, 2);
  return {
    id: u16(buf, 0),
    qr: (f & 0x8000) !== 0,
    opcode: (f >> 11) & 0xf,
    aa: (f & 0x0400) !== 0,
    tc: (f & 0x0200) !== 0,
    rd: (f & 0x0100) !== 0,
    ra: (f & 0x0080) !== 0,
    ad: (f & 0x0020) !== 0,
    cd: (f & 0x0010) !== 0,
    rcode: f & 0xf,
  };
}

function u16(b: Uint8Array, at: number): number {
  return (b[at]! << 8) | b[at + 1]!;
}

class Reader {
  constructor(
    readonly buf: Uint8Array,
    public pos: number,
  ) {}

  need(n: number): void {
    if (this.pos + n > this.buf.length) throw new Malformed('truncated');
  }

  u16(): number {
    this.need(2);
    const v = u16(this.buf, this.pos);
    this.pos += 2;
    return v;
  }

  u32(): number {
    const hi = this.u16();
    return hi * 0x10000 + this.u16();
  }

  /** A possibly compressed name at `pos`; `pos` moves past its first occurrence (RFC 1035 §4.1.4). */
  name(): string {
    const [text, end] = readName(this.buf, this.pos);
    this.pos = end;
    return text;
  }

  record(): DnsRecord {
    const name = this.name();
    const type = this.u16();
    const klass = this.u16();
    const ttl = this.u32();
    const len = this.u16();
    this.need(len);
    const start = this.pos;
    this.pos += len;
    const base = { name, class: klass, ttl };
    if ((type === DNS_TYPE.A && klass === DNS_CLASS_IN) || (type === DNS_TYPE.AAAA && klass === DNS_CLASS_IN)) {
      if (len !== (type === DNS_TYPE.A ? 4 : 16)) throw new Malformed('bad_rdata');
      const b = this.buf.subarray(start, start + len);
      return { ...base, type, address: type === DNS_TYPE.A ? formatIPv4(((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0) : formatIPv6(b.slice()) };
    }
    if (type === DNS_TYPE.CNAME) {
      // the target may be compressed against the rest of the message, but must end where RDATA does
      const [target, end] = readName(this.buf.subarray(0, start + len), start);
      if (end !== start + len) throw new Malformed('bad_rdata');
      return { ...base, type, target };
    }
    return { ...base, type, data: this.buf.slice(start, start + len) };
  }
}

/** Read a name at `at`; returns its text and the offset just past it where it first appears. */
function readName(buf: Uint8Array, at: number): [string, number] {
  const labels: string[] = [];
  let pos = at;
  let end = -1;
  let wire = 1; // the root label's length byte
  // a pointer must point before the start of the labels it continues: offsets only decrease, so it ends
  let floor = at;
  for (;;) {
    if (pos >= buf.length) throw new Malformed('truncated');
    const len = buf[pos]!;
    if ((len & 0xc0) === 0xc0) {
      if (pos + 1 >= buf.length) throw new Malformed('truncated');
      const target = ((len & 0x3f) << 8) | buf[pos + 1]!;
      if (end < 0) end = pos + 2;
      if (target >= floor) throw new Malformed('bad_pointer');
      floor = target;
      pos = target;
      continue;
    }
    if ((len & 0xc0) !== 0) throw new Malformed('bad_label_type');
    if (len === 0) {
      if (end < 0) end = pos + 1;
      return [labels.join('.'), end];
    }
    if (pos + 1 + len > buf.length) throw new Malformed('truncated');
    wire += 1 + len;
    if (wire > MAX_NAME) throw new Malformed('name_too_long');
    labels.push(labelText(buf, pos + 1, pos + 1 + len));
    pos += 1 + len;
  }
}

/** One label as master-file text: '.' and '\' escaped, non-printable bytes as \DDD. */
function labelText(buf: Uint8Array, from: number, to: number): string {
  let s = '';
  for (let i = from; i < to; i++) {
    const c = buf[i]!;
    if (c === 0x2e || c === 0x5c) s += `\\${String.fromCharCode(c)}`;
    else if (c <= 0x20 || c >= 0x7f) s += `\\${String(c).padStart(3, '0')}`;
    else s += String.fromCharCode(c);
  }
  return s;
}

/** A name's labels as bytes, from its text; throws ERR_INVALID_ARG_VALUE for a name that cannot be sent. */
export function nameLabels(name: string): Uint8Array[] {
  const labels: Uint8Array[] = [];
  if (name === '' || name === '.') return labels;
  const text = name.endsWith('.') && !name.endsWith('\\.') ? name.slice(0, -1) : name;
  let cur: number[] = [];
  let wire = 1;
  const bad = (why: string): never => {
    throw makeError('ERR_INVALID_ARG_VALUE', `not a DNS name: "${name}": ${why}`);
  };
  const push = (): void => {
    if (cur.length === 0) bad('an empty label');
    if (cur.length > MAX_LABEL) bad(`a label of ${cur.length} octets (at most ${MAX_LABEL})`);
    wire += 1 + cur.length;
    labels.push(Uint8Array.from(cur));
    cur = [];
  };
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (ch === 0x2e) {
      push();
    } else if (ch === 0x5c) {
      const digits = /^\d{3}/.exec(text.slice(i + 1, i + 4));
      if (digits) {
        const v = Number(digits[0]);
        if (v > 255) bad(`\\${digits[0]} is not a byte`);
        cur.push(v);
        i += 3;
      } else if (i + 1 < text.length) {
        cur.push(text.charCodeAt(++i) & 0xff);
      } else {
        bad('a trailing backslash');
      }
    } else if (ch > 0x7e) {
      bad('a character outside ASCII (give IDNA\'s xn-- form)');
    } else {
      cur.push(ch);
    }
  }
  push();
  if (wire > MAX_NAME) bad(`${wire} octets on the wire (at most ${MAX_NAME})`);
  return labels;
}

/** Grows as a message is written; keeps the offsets of names for compression. */
class Writer {
  private buf = new Uint8Array(512);
  len = 0;
  private readonly names = new Map<string, number>();

  private room(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.len + n));
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  u8(v: number): void {
    this.room(1);
    this.buf[this.len++] = v & 0xff;
  }

  u16(v: number): void {
    this.u8(v >> 8);
    this.u8(v);
  }

  u32(v: number): void {
    this.u16(Math.floor(v / 0x10000) & 0xffff);
    this.u16(v & 0xffff);
  }

  bytes(b: Uint8Array): void {
    this.room(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
  }

  setU16(at: number, v: number): void {
    this.buf[at] = (v >> 8) & 0xff;
    this.buf[at + 1] = v & 0xff;
  }

  /** A name, ending in a pointer to the longest suffix already written (RFC 1035 §4.1.4). */
  name(text: string): void {
    const labels = nameLabels(text);
    for (let i = 0; i < labels.length; i++) {
      const key = labels
        .slice(i)
        .map((l) => Array.from(l).join(','))
        .join('.');
      const at = this.names.get(key);
      if (at !== undefined) {
        this.u16(0xc000 | at);
        return;
      }
      if (this.len < 0x4000) this.names.set(key, this.len);
      this.u8(labels[i]!.length);
      this.bytes(labels[i]!);
    }
    this.u8(0);
  }

  done(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}

/** Encode `message`; throws ERR_INVALID_ARG_VALUE for a name or address that cannot be written. */
export function encodeMessage(message: DnsMessage): Uint8Array {
  const h = message.header;
  const w = new Writer();
  w.u16(h.id);
  w.u16(
    (h.qr ? 0x8000 : 0) |
      ((h.opcode & 0xf) << 11) |
      (h.aa ? 0x0400 : 0) |
      (h.tc ? 0x0200 : 0) |
      (h.rd ? 0x0100 : 0) |
      (h.ra ? 0x0080 : 0) |
      (h.ad ? 0x0020 : 0) |
      (h.cd ? 0x0010 : 0) |
      (h.rcode & 0xf),
  );
  w.u16(message.questions.length);
  w.u16(message.answers.length);
  w.u16(message.authorities.length);
  w.u16(message.additionals.length + (message.edns ? 1 : 0));
  for (const q of message.questions) {
    w.name(q.name);
    w.u16(q.type);
    w.u16(q.class);
  }
  for (const r of [...message.answers, ...message.authorities, ...message.additionals]) writeRecord(w, r);
  if (message.edns) {
    const e = message.edns;
    w.u8(0); // the root
    w.u16(DNS_TYPE.OPT);
    w.u16(e.udpSize);
    w.u32(((e.extendedRcode & 0xff) * 0x1000000) + ((e.version & 0xff) << 16) + (e.dnssecOk ? 0x8000 : 0));
    w.u16(e.options.length);
    w.bytes(e.options);
  }
  return w.done();
}

function writeRecord(w: Writer, r: DnsRecord): void {
  w.name(r.name);
  w.u16(r.type);
  w.u16(r.class);
  w.u32(r.ttl >>> 0);
  const lenAt = w.len;
  w.u16(0);
  if ('address' in r) {
    w.bytes(addressBytes(r.address, r.type === DNS_TYPE.A ? 4 : 6));
  } else if ('target' in r) {
    w.name(r.target);
  } else {
    w.bytes(r.data);
  }
  w.setU16(lenAt, w.len - lenAt - 2);
}

function addressBytes(text: string, family: 4 | 6): Uint8Array {
  if (family === 4) {
    const v = parseIPv4(text);
    if (v === null) throw makeError('ERR_INVALID_ARG_VALUE', `an A record needs an IPv4 address, got "${text}"`);
    return Uint8Array.of(v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff);
  }
  const v = parseIPv6(text);
  if (v === null) throw makeError('ERR_INVALID_ARG_VALUE', `an AAAA record needs an IPv6 address, got "${text}"`);
  return v;
}

/** A name compared as DNS compares them: ASCII letters case-insensitively (RFC 4343 §3). */
export function canonicalName(name: string): string {
  const lower = name.replace(/[A-Z]/g, (c) => c.toLowerCase());
  return lower.endsWith('.') && !lower.endsWith('\\.') ? lower.slice(0, -1) : lower;
}
