/** `#platform/dns` where there is no resolver to ask (browsers, workers): none; pass a `lookup`. */
export function loadDnsLookup(): Promise<unknown> {
  return Promise.resolve(null);
}
