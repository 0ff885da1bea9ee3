/**
 * `synack ss --from` on a gateway: each relayed flow with its guest leg (synack's state) and its
 * host leg (the kernel socket's state, found in /proc/net/tcp by the 4-tuple).
 */
import { describe, expect, it } from 'vitest';
import { formatFlows, kernelStates, relayedFlows } from '../../src/cli/gateway-flows.js';
import { renderSs } from '../../src/cli/ss.js';
import type { GatewayFlowInfo } from '../../src/gateway/flow.js';

const HEADER = '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n';
// 10.98.0.1:50000 -> 10.98.0.2:80 in FIN_WAIT2 (05), as a little-endian kernel prints it
const PROC_TCP = HEADER + '   0: 0100620A:C350 0200620A:0050 05 00000000:00000000 00:00000000 00000000     0        0 4242 1 0000000000000000 20 4 30 10 -1\n';

function tcpFlow(over: Partial<GatewayFlowInfo> = {}): GatewayFlowInfo {
  return {
    id: 1,
    protocol: 'tcp',
    guest: { localAddress: '10.98.0.2', localPort: 80, remoteAddress: '10.0.2.15', remotePort: 41000, state: 'CLOSE_WAIT' },
    host: { localAddress: '10.98.0.1', localPort: 50000, remoteAddress: '10.98.0.2', remotePort: 80, state: 'writeOnly' },
    bytesToHost: 78,
    bytesToGuest: 1234,
    since: 0,
    ...over,
  };
}

describe('the host leg is the kernel socket', () => {
  it('kernelStates reads /proc/net/tcp{,6} into endpoint pairs', () => {
    const states = kernelStates((p) => (p === '/proc/net/tcp' ? PROC_TCP : undefined));
    expect([...states]).toEqual([['10.98.0.1:50000|10.98.0.2:80', 'FIN_WAIT2']]);
  });

  it("a TCP flow's host leg gets the kernel's state by its 4-tuple; a flow whose socket is gone keeps node's", () => {
    const states = kernelStates((p) => (p === '/proc/net/tcp' ? PROC_TCP : undefined));
    const [found, gone] = relayedFlows([tcpFlow(), tcpFlow({ id: 2, host: { ...tcpFlow().host, localPort: 50001 } })], states);
    expect(found!.hostKernelState).toBe('FIN_WAIT2');
    expect(gone!.hostKernelState).toBeUndefined();
  });
});

describe('the flows table', () => {
  it("shows both legs in ss's spelling: the guest's FIN seen as CLOSE-WAIT, relayed as FIN-WAIT-2 on the host leg", () => {
    const states = kernelStates((p) => (p === '/proc/net/tcp' ? PROC_TCP : undefined));
    const udp: GatewayFlowInfo = {
      id: 2,
      protocol: 'udp',
      guest: { localAddress: '10.98.0.2', localPort: 7, remoteAddress: '10.0.2.15', remotePort: 5353, state: 'open' },
      host: { localAddress: '0.0.0.0', localPort: 40001, remoteAddress: '10.98.0.2', remotePort: 7, state: 'open' },
      bytesToHost: 5,
      bytesToGuest: 5,
      since: 0,
    };
    expect(formatFlows(relayedFlows([tcpFlow(), udp], states))).toBe(
      [
        "Relayed flows: 2 (guest leg: synack's state; host leg: the kernel socket's)",
        'Proto Guest Address:Port Destination:Port Guest-State Host Local:Port Host-State To-Host To-Guest',
        'tcp   10.0.2.15:41000    10.98.0.2:80     CLOSE-WAIT  10.98.0.1:50000 FIN-WAIT-2      78     1234',
        'udp   10.0.2.15:5353     10.98.0.2:7      open        0.0.0.0:40001   open             5        5',
        '',
      ].join('\n'),
    );
  });

  it('a flow still connecting shows SYN-PENDING on the guest leg and no host address yet', () => {
    const f = tcpFlow({ guest: { ...tcpFlow().guest, state: 'SYN_PENDING' }, host: { localAddress: undefined, localPort: undefined, remoteAddress: '10.98.0.2', remotePort: 80, state: 'opening' } });
    expect(formatFlows([f]).split('\n')[2]).toMatch(/^tcp +10\.0\.2\.15:41000 +10\.98\.0\.2:80 +SYN-PENDING +\* +opening /);
  });

  it('synack ss prints the table after the sockets when the reply has flows, and --json carries them', () => {
    const reply = { host: 'gw', t: 0, sockets: [], counts: {}, flows: [tcpFlow()] };
    expect(renderSs(reply, {})).toMatch(/^State .*\n\nRelayed flows: 1 /);
    expect(JSON.parse(renderSs(reply, { json: true })).flows).toHaveLength(1);
    expect(renderSs({ ...reply, flows: undefined } as never, {})).not.toContain('Relayed');
  });
});
