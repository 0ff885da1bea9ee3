/**
 * The `.browser` branches of #platform/* that a Node test can run: the in-page diagnostics channel
 * keeps node:diagnostics_channel's contract (named channels shared by every copy, hasSubscribers,
 * subscribe/unsubscribe), and the address predicates agree with node:net's.
 */
import { isIP as nodeIsIP, isIPv4 as nodeIsIPv4, isIPv6 as nodeIsIPv6 } from 'node:net';
import { describe, expect, it } from 'vitest';
import { channel } from '../../src/platform/diagnostics.browser.js';
import { isIP, isIPv4, isIPv6 } from '../../src/platform/net.browser.js';

describe('diagnostics channels without node:diagnostics_channel', () => {
  it('one channel per name, shared through globalThis by every copy of the module', () => {
    expect(channel('synack:test:a')).toBe(channel('synack:test:a'));
    expect(channel('synack:test:a')).not.toBe(channel('synack:test:b'));
  });

  it('hasSubscribers follows subscribe/unsubscribe, and publish reaches each subscriber with the name', () => {
    const c = channel('synack:test:pub');
    const got: unknown[] = [];
    const fn = (m: unknown, name: string | symbol): void => void got.push([m, name]);
    expect(c.hasSubscribers).toBe(false);
    c.subscribe(fn);
    expect(c.hasSubscribers).toBe(true);
    c.publish({ x: 1 });
    expect(got).toEqual([[{ x: 1 }, 'synack:test:pub']]);
    expect(c.unsubscribe(fn)).toBe(true);
    expect(c.unsubscribe(fn)).toBe(false);
    expect(c.hasSubscribers).toBe(false);
    c.publish({ x: 2 });
    expect(got).toHaveLength(1);
  });

  it('a subscriber that unsubscribes while being called does not make the others miss the message', () => {
    const c = channel('synack:test:during');
    const seen: string[] = [];
    const first = (): void => {
      seen.push('first');
      c.unsubscribe(first);
    };
    c.subscribe(first);
    c.subscribe(() => seen.push('second'));
    c.publish(null);
    expect(seen).toEqual(['first', 'second']);
  });
});

describe('isIP without node:net', () => {
  it.each(['10.0.0.1', '255.255.255.255', '::', '::1', 'fe80::1', '::ffff:10.0.0.1', '1.2.3', '01.2.3.4', '1.2.3.4.5', 'fe80::1::2', '', 'localhost', 'gg::1'])(
    '%j is classified as node:net classifies it',
    (s) => {
      expect(isIP(s)).toBe(nodeIsIP(s));
      expect(isIPv4(s)).toBe(nodeIsIPv4(s));
      expect(isIPv6(s)).toBe(nodeIsIPv6(s));
    },
  );
});
