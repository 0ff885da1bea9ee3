/** `#platform/dns` on Node, Deno and Bun: Node's dns.lookup, loaded on first use. */
export function loadDnsLookup(): Promise<unknown> {
  return import('node:dns').then(
    (dns) => dns.lookup,
    () => null,
  );
}
