/** The gateway's allow/deny policy: CIDR[:PORTS] rules, first match wins, then the defaults. */
import { describe, expect, it } from 'vitest';
import { Policy } from '../../src/index.js';

describe('the defaults deny what is the host\'s own, and allow the rest', () => {
  const p = new Policy();
  it.each([
    ['127.0.0.1', 'loopback (RFC 1122)'],
    ['127.9.9.9', 'all of 127/8'],
    ['10.1.2.3', 'RFC 1918 10/8'],
    ['172.16.0.1', 'RFC 1918 172.16/12'],
    ['172.31.255.255', 'RFC 1918 172.16/12, its top'],
    ['192.168.1.1', 'RFC 1918 192.168/16'],
    ['169.254.169.254', 'link-local (RFC 3927), the cloud metadata address'],
    ['100.64.0.1', 'shared address space (RFC 6598, CGNAT)'],
    ['0.0.0.1', '"this network" 0/8'],
    ['::1', 'IPv6 loopback'],
    ['fd12:3456::1', 'unique local (RFC 4193)'],
    ['fe80::1', 'IPv6 link-local'],
    ['::ffff:10.0.0.1', 'IPv4-mapped'],
  ])('%s is denied: %s', (address) => {
    expect(p.decide(address, 80).action).toBe('deny');
  });

  it.each([['93.184.216.34'], ['172.32.0.1'], ['100.128.0.1'], ['2001:db8::1'], ['8.8.8.8']])('%s is allowed', (address) => {
    expect(p.decide(address, 443)).toEqual({ action: 'allow', rule: 'default allow' });
  });

  it('a decision names the rule that made it', () => {
    expect(p.decide('10.0.0.1', 1)).toEqual({ action: 'deny', rule: 'default deny 10.0.0.0/8' });
  });

  it('something that is not an IP address is denied', () => {
    expect(p.decide('example.com', 80)).toEqual({ action: 'deny', rule: 'not an IP address' });
  });
});

describe('rules: CIDR[:PORTS], first match wins, before the defaults', () => {
  it('an allow before the defaults opens a private range', () => {
    const p = new Policy({ rules: [{ action: 'allow', match: '10.9.0.0/16' }] });
    expect(p.decide('10.9.3.4', 80)).toEqual({ action: 'allow', rule: 'allow 10.9.0.0/16' });
    expect(p.decide('10.8.3.4', 80).action).toBe('deny');
  });

  it('ports: a list and ranges; a port outside them does not match the rule', () => {
    const p = new Policy({ rules: [{ action: 'allow', match: '127.0.0.1:80,443,8000-9000' }] });
    for (const port of [80, 443, 8000, 8500, 9000]) expect(p.decide('127.0.0.1', port).action).toBe('allow');
    for (const port of [81, 7999, 9001]) expect(p.decide('127.0.0.1', port).action).toBe('deny');
  });

  it('the first matching rule wins: a deny of one port before an allow of the range', () => {
    const p = new Policy({
      rules: [
        { action: 'deny', match: '0.0.0.0/0:25' },
        { action: 'allow', match: '0.0.0.0/0' },
      ],
    });
    expect(p.decide('93.184.216.34', 25).action).toBe('deny');
    expect(p.decide('127.0.0.1', 80)).toEqual({ action: 'allow', rule: 'allow 0.0.0.0/0' });
  });

  it('IPv6 rules, with ports in brackets', () => {
    const p = new Policy({ rules: [{ action: 'deny', match: '[2001:db8::]/32:53' }, { action: 'allow', match: 'fd00::/8' }] });
    expect(p.decide('2001:db8::1', 53).action).toBe('deny');
    expect(p.decide('2001:db8::1', 80).action).toBe('allow');
    expect(p.decide('fd00::5', 80).action).toBe('allow');
    expect(p.decide('fd00::5', 80).rule).toBe('allow fd00::/8');
  });

  it('an IPv4 rule never matches an IPv6 address, and the other way round', () => {
    const p = new Policy({ rules: [{ action: 'deny', match: '0.0.0.0/0' }], defaults: false });
    expect(p.decide('2001:db8::1', 80).action).toBe('allow');
  });

  it('defaults: false leaves only the caller\'s rules (unmatched flows are allowed)', () => {
    const p = new Policy({ defaults: false });
    expect(p.decide('127.0.0.1', 22).action).toBe('allow');
  });

  it.each([
    ['10.0.0.0/33', 'prefix length'],
    ['10.0.0/8', 'not an IP address'],
    ['10.0.0.0/8:0', 'port'],
    ['10.0.0.0/8:90-80', 'port'],
    ['10.0.0.0/8:http', 'port'],
    ['[fd00::/8', 'unclosed'],
  ])('a malformed rule %s is refused with ERR_INVALID_ARG_VALUE naming it', (match, why) => {
    expect(() => new Policy({ rules: [{ action: 'allow', match }] })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE', message: expect.stringContaining(why) }));
  });

  it('an action other than allow or deny is refused', () => {
    expect(() => new Policy({ rules: [{ action: 'permit' as 'allow', match: '10.0.0.0/8' }] })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
  });
});
