/**
 * `attachTun(stack, device, { impair })`: a pipe on each impaired direction between the stack (and
 * its capture) and the device. A stand-in device (an EventEmitter with write/close) and a virtual
 * clock: no root needed.
 */
import { EventEmitter } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import '../../src/api/net.js';
import { attachTun } from '../../src/link/attach.js';
import { readPcap } from '../../src/link/pcap-writer.js';
import type { TunDevice } from '../../src/link/tun.js';
import { Stack } from '../../src/stack/stack.js';
import { VirtualClock } from '../../src/time/virtual-clock.js';

class FakeDevice extends EventEmitter {
  readonly written: { t: number; bytes: Uint8Array }[] = [];
  closed = false;
  constructor(private readonly clock: VirtualClock) {
    super();
  }
  write(p: Uint8Array): boolean {
    this.written.push({ t: this.clock.now(), bytes: p.slice() });
    return true;
  }
  close(): void {
    this.closed = true;
  }
}

const dir = mkdtempSync(join(tmpdir(), 'synack-impair-attach-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function setup(impair: Parameters<typeof attachTun>[2]) {
  const clock = new VirtualClock();
  const stack = new Stack({ addresses: ['10.0.0.2'], clock, seed: 1 });
  const device = new FakeDevice(clock);
  const link = attachTun(stack, device as unknown as TunDevice, impair);
  return { clock, stack, device, link };
}

describe('attachTun with impairments', () => {
  it('out: the stack\'s packets reach the device delayMs later', () => {
    const { clock, stack, device, link } = setup({ impair: { out: { delayMs: 5 } } });
    stack.net.connect({ host: '10.0.0.1', port: 80 }).on('error', () => {});
    clock.advance(4.9);
    expect(device.written).toHaveLength(0);
    clock.advance(0.1);
    expect(device.written).toHaveLength(1);
    expect(device.written[0]!.t).toBe(5);
    expect(link.impaired).toMatchObject({ out: { packets: 1, delivered: 1 }, in: null });
    link.close();
    stack.destroy();
  });

  it('in: a packet from the device that the impairments lose never reaches the stack, and is counted', () => {
    const { stack, device, link } = setup({ impair: { in: { loss: 1 } } });
    // an echo request to the stack: answered only if it arrives
    const ping = Uint8Array.from([0x45, 0, 0, 28, 0, 1, 0, 0, 64, 1, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2, 8, 0, 0xf7, 0xfe, 0, 1, 0, 0]);
    device.emit('packet', ping);
    expect(stack.counters.packetsIn).toBe(0);
    expect(link.impaired?.in?.drops.loss).toBe(1);
    link.close();
    stack.destroy();
  });

  it('the capture is synack\'s side: a packet lost on the way out is in it, the device never sees it', () => {
    const pcap = join(dir, 'out.pcap');
    const { clock, stack, device, link } = setup({ pcap, impair: { out: { loss: 1 } } });
    stack.net.connect({ host: '10.0.0.1', port: 80 }).on('error', () => {});
    clock.advance(10);
    link.close();
    expect(device.written).toHaveLength(0);
    expect(readPcap(readFileSync(pcap)).packets.length).toBeGreaterThan(0);
    stack.destroy();
  });

  it('close() drops what is still in flight and closes the device', () => {
    const { clock, stack, device, link } = setup({ impair: { out: { delayMs: 50 } } });
    stack.net.connect({ host: '10.0.0.1', port: 80 }).on('error', () => {});
    link.close();
    clock.advance(100);
    expect(device.written).toHaveLength(0);
    expect(device.closed).toBe(true);
    stack.destroy();
  });

  it('without impairments nothing is put in between: impaired is null and packets go straight out', () => {
    const { stack, device, link } = setup({});
    stack.net.connect({ host: '10.0.0.1', port: 80 }).on('error', () => {});
    expect(device.written).toHaveLength(1);
    expect(link.impaired).toBeNull();
    link.close();
    stack.destroy();
  });
});
