/** `serve`/`connect --loss --delay --jitter --rate --queue --impair-seed`: tc/netem units, directions, errors. */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { createMetricsRegistry } from '../../src/observe/metrics.js';
import { Stack } from '../../src/stack/stack.js';
import { VirtualClock } from '../../src/time/virtual-clock.js';
import {
  DEFAULT_QUEUE_PACKETS,
  addImpairOptions,
  describeImpairStats,
  impairMetrics,
  impairWarnings,
  describeLinkImpairments,
  linkImpairments,
  parsePercent,
  parseRate,
  parseSize,
  parseTime,
  type ImpairFlags,
} from '../../src/cli/impair-options.js';

const CLI = join(import.meta.dirname, '..', '..', 'dist', 'src', 'cli', 'main.js');

/** What commander makes of `args` with the impairment options. */
function flags(...args: string[]): ImpairFlags {
  const cmd = addImpairOptions(new Command().exitOverride().configureOutput({ writeErr: () => {} }));
  cmd.parse(args, { from: 'user' });
  return cmd.opts<ImpairFlags>();
}

describe('units, as tc and netem write them', () => {
  it('loss is a percentage: 1% → 0.01, 0.1% → 0.001, 100% → 1, 0% → 0', () => {
    expect(parsePercent('1%')).toBe(0.01);
    expect(parsePercent('0.1%')).toBe(0.001);
    expect(parsePercent('100%')).toBe(1);
    expect(parsePercent('0%')).toBe(0);
  });

  it('a loss without % or over 100% is refused', () => {
    expect(() => parsePercent('1')).toThrow(/percentage from 0% to 100%.*got "1"/);
    expect(() => parsePercent('0.01')).toThrow(/percentage/);
    expect(() => parsePercent('101%')).toThrow(/got "101%"/);
    expect(() => parsePercent('-1%')).toThrow(/percentage/);
  });

  it('time: us, ms, s and their tc spellings (usec, msec, sec, secs), to milliseconds', () => {
    expect(parseTime('10ms')).toBe(10);
    expect(parseTime('500us')).toBe(0.5);
    expect(parseTime('1.5s')).toBe(1500);
    expect(parseTime('2msec')).toBe(2);
    expect(parseTime('250usecs')).toBe(0.25);
    expect(parseTime('1sec')).toBe(1000);
    expect(parseTime('10MS')).toBe(10);
  });

  it('a bare time is refused (tc would read 10 as 10 µs), and so are unknown units and more than 60 s', () => {
    expect(() => parseTime('10')).toThrow(/"10" needs a unit: us, ms or s/);
    expect(() => parseTime('2min')).toThrow(/expected a time such as 10ms/);
    expect(() => parseTime('61s')).toThrow(/more than 60 s/);
  });

  it('rate: bit, kbit, mbit, gbit are SI (as in tc); kibit, mibit, gibit are IEC; to bits per second', () => {
    expect(parseRate('50mbit')).toBe(50e6);
    expect(parseRate('512kbit')).toBe(512e3);
    expect(parseRate('1gbit')).toBe(1e9);
    expect(parseRate('9600bit')).toBe(9600);
    expect(parseRate('1mibit')).toBe(1024 * 1024);
    expect(parseRate('2.5Mbit')).toBe(2.5e6);
  });

  it('a bare rate is refused (tc: bits per second), and tc\'s bytes-per-second spellings with a warning', () => {
    expect(() => parseRate('50')).toThrow(/"50" needs a unit: bit, kbit, mbit or gbit/);
    expect(() => parseRate('50mbps')).toThrow(/tc reads mbps as bytes per second/);
    expect(() => parseRate('50mb')).toThrow(/expected a rate such as 50mbit/);
    expect(() => parseRate('200gbit')).toThrow(/outside 8bit..100gbit/);
    expect(() => parseRate('1bit')).toThrow(/outside/);
  });

  it('size: a bare number is bytes; b, kb, mb, gb are SI (125kb = 125,000 bytes); kib, mib, gib are IEC', () => {
    expect(parseSize('1500')).toBe(1500);
    expect(parseSize('64b')).toBe(64);
    expect(parseSize('125kb')).toBe(125_000);
    expect(parseSize('1mb')).toBe(1_000_000);
    expect(parseSize('64kib')).toBe(65_536);
    expect(parseSize('1mib')).toBe(1 << 20);
  });

  it('a size with an unknown unit, zero or over 1 GiB is refused', () => {
    expect(() => parseSize('12kx')).toThrow(/expected a size in bytes such as 125kb/);
    expect(() => parseSize('0')).toThrow(/outside 1 byte/);
    expect(() => parseSize('2gib')).toThrow(/outside/);
  });
});

describe('directions', () => {
  it('a bare value applies to both directions', () => {
    expect(flags('--loss', '1%')).toEqual({ loss: { in: 0.01, out: 0.01 } });
  });

  it('out: and in: set one direction; a later flag overrides an earlier one for its direction', () => {
    expect(flags('--loss', '1%', '--loss', 'out:5%').loss).toEqual({ in: 0.01, out: 0.05 });
    expect(flags('--delay', 'in:10ms').delay).toEqual({ in: 10 });
    expect(flags('--rate', 'OUT:1mbit', '--rate', '2mbit').rate).toEqual({ in: 2e6, out: 2e6 });
  });

  it('an unknown direction is refused as a bad value', () => {
    expect(() => flags('--loss', 'sideways:1%')).toThrow(/percentage/);
  });
});

describe('linkImpairments: flags → what the link does', () => {
  it('no impairment flags: no impairments (the link is left alone)', () => {
    expect(linkImpairments({})).toBeUndefined();
    expect(linkImpairments(flags('--loss', '0%'))).toBeUndefined();
  });

  it('the issue\'s example: --loss 1% --delay 10ms --rate 50mbit --queue 125kb, both ways, seed 1', () => {
    const li = linkImpairments(flags('--loss', '1%', '--delay', '10ms', '--rate', '50mbit', '--queue', '125kb'));
    const each = { loss: 0.01, delayMs: 10, bandwidthBps: 50e6, queueBytes: 125_000 };
    expect(li).toEqual({ out: each, in: each, seed: 1 });
  });

  it('--jitter and --impair-seed', () => {
    expect(linkImpairments(flags('--jitter', 'out:2ms', '--impair-seed', '7'))).toEqual({ out: { jitterMs: 2 }, seed: 7 });
  });

  it(`--rate without --queue: a drop-tail queue of ${DEFAULT_QUEUE_PACKETS} packets of the MTU (netem's default limit)`, () => {
    expect(linkImpairments(flags('--rate', '10mbit'), 1500)?.out).toEqual({ bandwidthBps: 10e6, queueBytes: 1_500_000 });
    expect(linkImpairments(flags('--rate', '10mbit'), 9000)?.out?.queueBytes).toBe(9_000_000);
  });

  it('--queue without --rate in the same direction is refused, ERR_INVALID_ARG_VALUE', () => {
    expect(() => linkImpairments(flags('--queue', '100kb'))).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE', message: expect.stringMatching(/^--queue needs --rate: /) }));
    expect(() => linkImpairments(flags('--queue', '100kb', '--rate', 'out:1mbit'))).toThrow(/--queue needs --rate for the same direction \(in:\)/);
  });

  it('--impair-seed must be a whole number from 0 to 2^32 - 1', () => {
    expect(flags('--impair-seed', '4294967295').impairSeed).toBe(4294967295);
    expect(() => flags('--impair-seed', '4294967296')).toThrow(/whole number from 0 to 4294967295/);
    expect(() => flags('--impair-seed', '1.5')).toThrow(/whole number/);
  });
});

describe('warnings: allowed, but probably not meant', () => {
  it('--impair-seed without --loss or --jitter changes nothing', () => {
    expect(impairWarnings(flags('--delay', '10ms', '--impair-seed', '3'))).toEqual(['--impair-seed has no effect without --loss or --jitter: delay, rate and queue are not random']);
    expect(impairWarnings(flags('--loss', 'in:1%', '--impair-seed', '3'))).toEqual([]);
  });

  it('a queue smaller than one packet of the MTU drops every full-size packet', () => {
    expect(impairWarnings(flags('--rate', '1mbit', '--queue', 'out:1kb'), 1500)).toEqual([
      '--queue 1000 bytes (out) is less than one packet of the MTU (1500): every full-size packet will be dropped',
    ]);
    expect(impairWarnings(flags('--rate', '1mbit', '--queue', '1500'), 1500)).toEqual([]);
  });

  it('serve prints the warning in the one style, and goes on', () => {
    // --tun x0 --ip ... then fails later at the device (not root, or a name it cannot use): the warning comes first
    const r = spawnSync(process.execPath, [CLI, 'serve', '--tun', 'x/0', '--ip', '10.0.0.2', '--delay', '1ms', '--impair-seed', '2'], { encoding: 'utf8', timeout: 20_000 });
    expect(r.stderr).toMatch(/^synack serve: warning: --impair-seed has no effect without --loss or --jitter/);
    expect(r.status).toBe(1);
  });
});

describe('what serve and connect print', () => {
  it('the ready line: both ways when the directions agree, each way when they differ', () => {
    expect(describeLinkImpairments(linkImpairments(flags('--loss', '1%', '--delay', '10ms', '--rate', '50mbit', '--queue', '125kb'))!)).toBe(
      'impaired (seed 1): both ways loss 1%, delay 10ms, rate 50mbit, queue 125000 bytes',
    );
    expect(describeLinkImpairments(linkImpairments(flags('--loss', 'out:0.1%', '--jitter', 'in:500us'))!)).toBe('impaired (seed 1): out loss 0.1%; in jitter 0.5ms');
  });

  it('the drop counts, by direction and reason', () => {
    const s = (packets: number, loss: number, queue: number) => ({ packets, delivered: packets - loss - queue, drops: { loss, queue, mtu: 0 }, duplicated: 0, corrupted: 0, reordered: 0 });
    expect(describeImpairStats({ out: s(1000, 9, 3), in: s(500, 5, 0) })).toBe('out: 1000 packets, 9 lost, 3 queue drops; in: 500 packets, 5 lost');
    expect(describeImpairStats({ out: null, in: s(10, 1, 0) })).toBe('in: 10 packets, 1 lost');
  });
});

describe('serve --metrics: the impairments\' counters, by direction and reason', () => {
  const s = (packets: number, loss: number, queue: number) => ({ packets, delivered: packets - loss - queue, drops: { loss, queue, mtu: 0 }, duplicated: 0, corrupted: 0, reordered: 0 });

  it('synack_link_impaired_packets_total{direction} and synack_link_impair_drops_total{direction,reason}, read at scrape time', async () => {
    const stack = new Stack({ addresses: ['10.0.0.2'], clock: new VirtualClock() });
    const stats = { out: s(1000, 9, 3), in: s(500, 5, 0) };
    const registry = createMetricsRegistry(stack, impairMetrics(() => stats));
    let text = await registry.metrics();
    expect(text).toContain('synack_link_impaired_packets_total{direction="out"} 1000');
    expect(text).toContain('synack_link_impaired_packets_total{direction="in"} 500');
    expect(text).toContain('synack_link_impair_drops_total{direction="out",reason="loss"} 9');
    expect(text).toContain('synack_link_impair_drops_total{direction="out",reason="queue"} 3');
    expect(text).toContain('synack_link_impair_drops_total{direction="in",reason="loss"} 5');
    stats.out.drops.loss = 12;
    text = await registry.metrics();
    expect(text).toContain('synack_link_impair_drops_total{direction="out",reason="loss"} 12');
    stack.destroy();
  });

  it('a direction without impairments has no series; before the link is open, none at all', async () => {
    const stack = new Stack({ addresses: ['10.0.0.2'], clock: new VirtualClock() });
    let stats: { out: ReturnType<typeof s> | null; in: ReturnType<typeof s> | null } | undefined;
    const registry = createMetricsRegistry(stack, impairMetrics(() => stats));
    expect(await registry.metrics()).not.toMatch(/^synack_link_impair\w*\{/m);
    stats = { out: s(10, 1, 0), in: null };
    const text = await registry.metrics();
    expect(text).toContain('synack_link_impaired_packets_total{direction="out"} 10');
    expect(text).not.toContain('direction="in"');
    stack.destroy();
  });
});

describe('the command line refuses bad values before any device is touched (exit 1, one line, a Node-style code)', () => {
  const run = (args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 20_000 });
  it.each([
    [['serve', '--tun', 'x0', '--ip', '10.0.0.2', '--loss', '2'], /^synack serve: option '--loss <\[in:\|out:\]P%>' argument '2' is invalid\. expected a percentage .* \(ERR_INVALID_ARG_VALUE\)\n$/],
    [['serve', '--tun', 'x0', '--ip', '10.0.0.2', '--delay', '10'], /^synack serve: .*"10" needs a unit: us, ms or s .*\(ERR_INVALID_ARG_VALUE\)\n$/],
    [['serve', '--tun', 'x0', '--ip', '10.0.0.2', '--rate', '50mbps'], /^synack serve: .*tc reads mbps as bytes per second.*\(ERR_INVALID_ARG_VALUE\)\n$/],
    [['serve', '--tun', 'x0', '--ip', '10.0.0.2', '--queue', '125kb'], /^synack serve: --queue needs --rate: a link that is never busy never queues \(ERR_INVALID_ARG_VALUE\)\n$/],
    [['connect', '--tun', 'x0', '--ip', '10.0.0.2', '--jitter', 'sometimes', '10.0.0.1:9'], /^synack connect: .*expected a time such as 10ms.*\(ERR_INVALID_ARG_VALUE\)\n$/],
    [['connect', '--tun', 'x0', '--ip', '10.0.0.2', '--queue', 'out:1kb', '10.0.0.1:9'], /^synack connect: --queue needs --rate for the same direction \(out:\).*\(ERR_INVALID_ARG_VALUE\)\n$/],
    [['connect', '--tun', 'x0', '--ip', '10.0.0.2', '--loss', '1%'], /^synack connect: missing required argument 'host:port' \(ERR_MISSING_ARGS\)\n$/],
  ])('%j', (args, message) => {
    const r = run(args);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(message);
  });

  it('serve --help lists every impairment option with its units', () => {
    const r = run(['serve', '--help']);
    for (const o of ['--loss <[in:|out:]P%>', '--delay <[in:|out:]TIME>', '--jitter <[in:|out:]TIME>', '--rate <[in:|out:]RATE>', '--queue <[in:|out:]SIZE>', '--impair-seed <n>']) {
      expect(r.stdout).toContain(o);
    }
    expect(r.stdout).toMatch(/kb = 1000 bytes, kib = 1024/);
  });
});
