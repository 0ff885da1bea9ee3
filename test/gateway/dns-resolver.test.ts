/**
 * The responder's resolvers (src/gateway/dns-resolver.ts): the host's getaddrinfo view with
 * NXDOMAIN told apart from NODATA, and the hosts(5)-style table.
 */
import { describe, expect, it } from 'vitest';
import { hostResolver, hostsFileResolver, parseHostsFile, type LookupAll } from '../../src/gateway/dns-resolver.js';

const notFound = (): Promise<never> => Promise.reject(Object.assign(new Error('getaddrinfo ENOTFOUND'), { code: 'ENOTFOUND' }));

/** A getaddrinfo stand-in: name → addresses; records every call. */
function fakeLookup(table: Record<string, string[]>): LookupAll & { calls: string[] } {
  const calls: string[] = [];
  const fn = ((name: string, o: { family: 4 | 6 }) => {
    calls.push(`${name}/${o.family}`);
    const list = (table[name] ?? []).filter((a) => (a.includes(':') ? 6 : 4) === o.family);
    return list.length ? Promise.resolve(list.map((address) => ({ address, family: o.family }))) : notFound();
  }) as LookupAll & { calls: string[] };
  fn.calls = calls;
  return fn;
}

describe('hostResolver: the host view through getaddrinfo', () => {
  it('gives the addresses of the family asked', async () => {
    const r = hostResolver({ lookup: fakeLookup({ 'h.test': ['192.0.2.1', '192.0.2.2', 'fd00::1'] }) });
    expect(await r.resolve('h.test', 4)).toEqual({ addresses: ['192.0.2.1', '192.0.2.2'] });
    expect(await r.resolve('h.test', 6)).toEqual({ addresses: ['fd00::1'] });
  });

  it('"not found" for one family while the other has addresses is NODATA (no addresses), not NXDOMAIN', async () => {
    const lookup = fakeLookup({ 'v4.test': ['192.0.2.1'] });
    expect(await hostResolver({ lookup }).resolve('v4.test', 6)).toEqual({ addresses: [] });
    expect(lookup.calls).toEqual(['v4.test/6', 'v4.test/4']);
  });

  it('"not found" for both families is ENOTFOUND (NXDOMAIN)', async () => {
    await expect(hostResolver({ lookup: fakeLookup({}) }).resolve('none.test', 4)).rejects.toMatchObject({ code: 'ENOTFOUND' });
  });

  it("getaddrinfo's v4 answer to a v6 question is not passed off as AAAA", async () => {
    const lookup: LookupAll = () => Promise.resolve([{ address: '1.2.3.4', family: 4 }]);
    expect(await hostResolver({ lookup }).resolve('1.2.3.4', 6)).toEqual({ addresses: [] });
  });

  it('another failure (EAI_AGAIN: the host cannot reach its DNS) is passed on, for SERVFAIL', async () => {
    const lookup: LookupAll = () => Promise.reject(Object.assign(new Error('again'), { code: 'EAI_AGAIN' }));
    await expect(hostResolver({ lookup }).resolve('x.test', 4)).rejects.toMatchObject({ code: 'EAI_AGAIN' });
  });
});

describe('parseHostsFile and hostsFileResolver: hosts(5)', () => {
  const text = ['# a comment', '10.98.0.2   server.test  www.test   # trailing comment', '', 'fd00:98::2 server.test', '192.0.2.5\tV4.Test'].join('\n');

  it('an address then names and aliases; comments and blank lines are skipped', () => {
    expect([...parseHostsFile(text)]).toEqual([
      ['server.test', ['10.98.0.2', 'fd00:98::2']],
      ['www.test', ['10.98.0.2']],
      ['v4.test', ['192.0.2.5']],
    ]);
  });

  it('a line that does not start with an address is an error naming the file and line', () => {
    expect(() => parseHostsFile('10.0.0.1 ok\nserver 10.0.0.2\n', 'hosts.txt')).toThrow(/^hosts\.txt:2: "server" is not an IP address/);
    expect(() => parseHostsFile('10.0.0.1\n', 'hosts.txt')).toThrow(/hosts\.txt:1: 10\.0\.0\.1 has no name/);
  });

  it('names match without case and without a trailing dot; the family asked is given', async () => {
    const r = hostsFileResolver(parseHostsFile(text));
    expect(await r.resolve('SERVER.test.', 6)).toEqual({ addresses: ['fd00:98::2'] });
    expect(await r.resolve('v4.test', 6)).toEqual({ addresses: [] }); // NODATA
    await expect(r.resolve('elsewhere.test', 4)).rejects.toMatchObject({ code: 'ENOTFOUND' });
  });

  it('a name the table lacks goes to the fallback when there is one', async () => {
    const r = hostsFileResolver(parseHostsFile(text), { fallback: { resolve: () => Promise.resolve({ addresses: ['203.0.113.1'] }) } });
    expect(await r.resolve('elsewhere.test', 4)).toEqual({ addresses: ['203.0.113.1'] });
  });
});
