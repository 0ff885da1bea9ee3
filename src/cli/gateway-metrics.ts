/**
 * `synack gateway --metrics`: the DNS responder's part of the gateway's metrics (the relay's are
 * gateway/metrics.ts's `synack_gateway_*`), read at scrape time from `responder.counters`:
 *
 *   synack_dns_queries_total{transport}     messages to the responder, udp / tcp
 *   synack_dns_responses_total{rcode}       its answers by RCODE (NOERROR, NXDOMAIN, SERVFAIL...)
 *   synack_dns_malformed_total{reason}      messages it could not decode (dns-wire.ts's reasons)
 *   synack_dns_truncated_total              UDP answers cut to the question with TC set
 *   synack_dns_timeouts_total               resolutions that took longer than the limit (SERVFAIL)
 */
import type { Counter, Registry } from 'prom-client';
import type { DnsResponderCounters } from '../gateway/dns-responder.js';
import { addScrapedCounter } from '../observe/metrics.js';

/** Add the DNS responder's metrics to `registry`; `read` gives its counters, or null while it is off. */
export function addDnsMetrics(registry: Registry, read: () => DnsResponderCounters | null): void {
  const counter = (name: string, help: string, labelNames: string[], fill: (c: Counter, d: DnsResponderCounters) => void): void =>
    addScrapedCounter(registry, name, help, labelNames, (c) => {
      const d = read();
      if (d) fill(c, d);
    });
  counter('synack_dns_queries_total', "DNS messages to the gateway's responder, by transport", ['transport'], (c, d) => {
    c.inc({ transport: 'udp' }, d.udpQueries);
    c.inc({ transport: 'tcp' }, d.tcpQueries);
  });
  counter('synack_dns_responses_total', 'DNS responses sent, by RCODE', ['rcode'], (c, d) => {
    for (const [rcode, n] of Object.entries(d.responses)) c.inc({ rcode }, n);
  });
  counter('synack_dns_malformed_total', 'DNS messages that could not be decoded, by reason', ['reason'], (c, d) => {
    for (const [reason, n] of Object.entries(d.malformed)) c.inc({ reason }, n);
  });
  counter('synack_dns_truncated_total', 'UDP answers too long for the requestor, sent with TC set', [], (c, d) => c.inc(d.truncated));
  counter('synack_dns_timeouts_total', 'resolutions that took longer than the limit (answered SERVFAIL)', [], (c, d) => c.inc(d.timeouts));
}
