/**
 * What the gateway's DNS responder answers to one query, independent of the transport: decode,
 * check, ask the resolver, encode (RFC 1035 §4, RFC 3596 for AAAA, RFC 6891 for EDNS(0)).
 *
 * - A message that cannot be decoded is answered FORMERR when its header was whole and it was a
 *   query (ID and opcode echoed, no question: the question could not be read); otherwise dropped.
 *   A response (QR = 1) is never answered, so two responders cannot ping-pong.
 * - Opcodes other than QUERY, classes other than IN, and types other than A, AAAA and CNAME are
 *   NOTIMP ("does not support the requested kind of query", RFC 1035 §4.1.1): a stub then asks
 *   its next server rather than caching a made-up empty answer. A QDCOUNT other than 1 is FORMERR
 *   (RFC 9619). An EDNS version above 0 is BADVERS (RFC 6891 §6.1.3).
 * - The resolver's answer: addresses are A/AAAA records (behind a CNAME when the resolver names a
 *   canonical name); a name that does not exist is NXDOMAIN; a name without addresses of that
 *   family is NOERROR with no answer (NODATA, RFC 2308 §2.2); any other failure, or no answer in
 *   `timeoutMs`, is SERVFAIL. A name holding bytes a host resolver cannot take (anything escaped
 *   in its text: dots, spaces, control bytes inside a label) is REFUSED.
 * - Over UDP a response longer than the requestor can take (512 bytes, or its EDNS size, capped at
 *   1232: the DNS flag day 2020 value that avoids IP fragmentation) goes out as the header and the
 *   question with TC set, so the stub asks again over TCP (RFC 1035 §4.2.1, RFC 7766 §5).
 */
import { canonicalName, decodeMessage, DNS_CLASS_IN, DNS_TYPE, encodeMessage, OPCODE_QUERY, RCODE, type DnsDecodeReason, type DnsMessage, type DnsQuestion, type DnsRecord, type Edns } from './dns-wire.js';

/** Where names are resolved: the host's resolver (dns-resolver.ts), a hosts file, or a test's own. */
export interface DnsResolver {
  /**
   * The addresses of `name` (no trailing dot) of `family`. Resolves `{ addresses: [] }` when the
   * name exists without such addresses (NODATA); rejects with `code: 'ENOTFOUND'` when it does
   * not exist (NXDOMAIN); any other rejection is answered SERVFAIL.
   */
  resolve(name: string, family: 4 | 6): Promise<ResolvedName>;
}

/** A resolver's answer: the addresses of a name (none: NODATA), their TTL, and its canonical name. */
export interface ResolvedName {
  addresses: string[];
  /** seconds; the responder's `ttl` when absent */
  ttl?: number;
  /** the name the addresses belong to, when `name` is an alias of it (answered as a CNAME) */
  canonicalName?: string;
}

/** The rcode names counted in `responses`. */
export type RcodeName = 'NOERROR' | 'FORMERR' | 'SERVFAIL' | 'NXDOMAIN' | 'NOTIMP' | 'REFUSED' | 'BADVERS';

export interface DnsAnswerOptions {
  resolver: DnsResolver;
  /** TTL for answers whose resolver gave none, seconds */
  ttl: number;
  /** the longest a resolver may take before SERVFAIL, ms */
  timeoutMs: number;
  /** arm a timer: the stack's clock, so tests in virtual time see the same timeouts */
  after(ms: number, fn: () => void): () => void;
}

/** What became of one message. */
export type DnsOutcome =
  | {
      kind: 'answer';
      bytes: Uint8Array;
      rcode: RcodeName;
      truncated: boolean;
      timedOut: boolean;
      /** why the query could not be decoded, when it is answered FORMERR for that */
      malformed?: DnsDecodeReason;
    }
  | { kind: 'drop'; reason: DnsDecodeReason | 'response' };

/** The largest UDP response we send, whatever EDNS size is asked (dnsflagday.net 2020). */
export const MAX_UDP_RESPONSE = 1232;
/** Without EDNS, RFC 1035 §4.2.1's limit. */
export const CLASSIC_UDP_LIMIT = 512;

const RCODE_NAMES: Record<number, RcodeName> = { 0: 'NOERROR', 1: 'FORMERR', 2: 'SERVFAIL', 3: 'NXDOMAIN', 4: 'NOTIMP', 5: 'REFUSED', 16: 'BADVERS' };

/**
 * Answer one DNS message. `udp`: the response must fit the requestor's UDP size (TC otherwise);
 * over TCP only the 65,535-byte frame limits it.
 */
export async function answerQuery(query: Uint8Array, udp: boolean, o: DnsAnswerOptions): Promise<DnsOutcome> {
  const decoded = decodeMessage(query);
  if (!decoded.ok) {
    if (decoded.id === null || decoded.qr !== false) return { kind: 'drop', reason: decoded.reason };
    const rd = (query[2]! & 0x01) !== 0;
    const bytes = encodeMessage(reply({ id: decoded.id, opcode: decoded.opcode ?? 0, rd, cd: false }, [], RCODE.FORMERR));
    return { kind: 'answer', bytes, rcode: 'FORMERR', truncated: false, timedOut: false, malformed: decoded.reason };
  }
  const q = decoded.message;
  if (q.header.qr) return { kind: 'drop', reason: 'response' };
  const head = { id: q.header.id, opcode: q.header.opcode, rd: q.header.rd, cd: q.header.cd };
  const edns: Edns | undefined = q.edns ? { udpSize: MAX_UDP_RESPONSE, extendedRcode: 0, version: 0, dnssecOk: q.edns.dnssecOk, options: new Uint8Array(0) } : undefined;
  const limit = !udp ? 0xffff : q.edns ? Math.min(MAX_UDP_RESPONSE, Math.max(CLASSIC_UDP_LIMIT, q.edns.udpSize)) : CLASSIC_UDP_LIMIT;
  const finish = (rcode: number, questions: DnsQuestion[], answers: DnsRecord[] = [], timedOut = false): DnsOutcome => {
    const message = reply(head, questions, rcode, answers, edns);
    let bytes = encodeMessage(message);
    let truncated = false;
    if (bytes.length > limit) {
      truncated = true;
      bytes = encodeMessage({ ...message, header: { ...message.header, tc: true }, answers: [] });
    }
    return { kind: 'answer', bytes, rcode: RCODE_NAMES[rcode]!, truncated, timedOut };
  };
  if (q.header.opcode !== OPCODE_QUERY) return finish(RCODE.NOTIMP, q.questions.slice(0, 1));
  if (q.questions.length !== 1) return finish(RCODE.FORMERR, []);
  const question = q.questions[0]!;
  if (q.edns && q.edns.version > 0) return finish(RCODE.BADVERS, [question]);
  if (question.class !== DNS_CLASS_IN) return finish(RCODE.NOTIMP, [question]);
  const type = question.type;
  if (type !== DNS_TYPE.A && type !== DNS_TYPE.AAAA && type !== DNS_TYPE.CNAME) return finish(RCODE.NOTIMP, [question]);
  if (question.name.includes('\\')) return finish(RCODE.REFUSED, [question]);
  if (question.name === '') return finish(RCODE.NOERROR, [question]); // the root has no addresses

  const family = type === DNS_TYPE.AAAA ? 6 : 4;
  const result = await withTimeout(Promise.resolve().then(() => o.resolver.resolve(question.name, family)), o);
  if (result === 'timeout') return finish(RCODE.SERVFAIL, [question], [], true);
  if ('error' in result) return finish(result.error === 'ENOTFOUND' ? RCODE.NXDOMAIN : result.error === 'ENODATA' ? RCODE.NOERROR : RCODE.SERVFAIL, [question]);
  const answers = records(question, result.value, o.ttl);
  if (answers === null) return finish(RCODE.SERVFAIL, [question]);
  return finish(RCODE.NOERROR, [question], answers);
}

/** The answer section for `resolved`, or null when the resolver gave something that cannot be sent. */
function records(question: DnsQuestion, resolved: ResolvedName, defaultTtl: number): DnsRecord[] | null {
  const ttl = clampTtl(resolved.ttl ?? defaultTtl);
  const out: DnsRecord[] = [];
  let owner = question.name;
  const canonical = resolved.canonicalName;
  if (canonical !== undefined && canonical !== '' && canonicalName(canonical) !== canonicalName(question.name)) {
    out.push({ name: question.name, type: DNS_TYPE.CNAME, class: DNS_CLASS_IN, ttl, target: canonical });
    owner = canonical;
  }
  if (question.type === DNS_TYPE.CNAME) return out;
  const t = question.type === DNS_TYPE.AAAA ? DNS_TYPE.AAAA : DNS_TYPE.A;
  for (const address of new Set(resolved.addresses)) out.push({ name: owner, type: t, class: DNS_CLASS_IN, ttl, address });
  try {
    encodeMessage(reply({ id: 0, opcode: 0, rd: false, cd: false }, [], 0, out));
  } catch {
    return null; // an address of the other family, or a canonical name that is not a name
  }
  return out;
}

function clampTtl(ttl: number): number {
  return Number.isFinite(ttl) ? Math.max(0, Math.min(0x7fffffff, Math.floor(ttl))) : 0;
}

function reply(
  head: { id: number; opcode: number; rd: boolean; cd: boolean },
  questions: DnsQuestion[],
  rcode: number,
  answers: DnsRecord[] = [],
  edns?: Edns,
): DnsMessage {
  const m: DnsMessage = {
    header: { id: head.id, qr: true, opcode: head.opcode, aa: false, tc: false, rd: head.rd, ra: true, ad: false, cd: head.cd, rcode: rcode & 0xf },
    questions,
    answers,
    authorities: [],
    additionals: [],
  };
  // the upper 8 bits of a 12-bit RCODE ride in the OPT record (RFC 6891 §6.1.3): BADVERS = 1 << 4
  if (edns) m.edns = { ...edns, extendedRcode: rcode >> 4 };
  return m;
}

type Settled = { value: ResolvedName } | { error: string };

function withTimeout(p: Promise<ResolvedName>, o: DnsAnswerOptions): Promise<Settled | 'timeout'> {
  return new Promise((resolve) => {
    let done = false;
    const cancel = o.after(o.timeoutMs, () => {
      if (!done) {
        done = true;
        resolve('timeout');
      }
    });
    p.then(
      (value) => {
        if (done) return;
        done = true;
        cancel();
        resolve(value && Array.isArray(value.addresses) ? { value } : { error: 'EBADRESP' });
      },
      (err: unknown) => {
        if (done) return;
        done = true;
        cancel();
        const code = (err as { code?: unknown })?.code;
        resolve({ error: typeof code === 'string' ? code : 'EUNKNOWN' });
      },
    );
  });
}
