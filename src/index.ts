/**
 * synack: a TCP/IP stack in TypeScript with node:net's API, and the tools to see TCP connection
 * states. This is the package's `node` export: everything in portable.ts (every runtime) plus what
 * needs Node: TUN/TAP devices, pcap files, Prometheus metrics.
 */
export * from './portable.js';
// real links: TUN/TAP (the addon loads on first open), pcap files, metrics
export {
  TunDevice,
  TUN_F_CSUM,
  TUN_F_TSO4,
  TUN_F_TSO6,
  TUN_RX_CSUM_PARTIAL,
  TUN_RX_CSUM_VALID,
  TUN_TX_NEEDS_CSUM,
  type TunOpenOptions,
  type TunStats,
} from './link/tun.js';
export { openTap, attachTap } from './link/tap.js';
export { attachTun, pcapTap, type AttachedLink, type AttachTunOptions } from './link/attach.js';
export { tunAvailable } from './link/native.js';
export { openPcapFile } from './link/pcap.js';
export { createMetricsRegistry, serveMetrics } from './observe/metrics.js';
// the gateway: guest flows relayed through the host's sockets (node:net, node:dgram)
export { createGateway, Gateway, type GatewayOptions } from './gateway/gateway.js';
export { Policy, DEFAULT_DENIED, type PolicyOptions, type PolicyRule, type PolicyDecision } from './gateway/policy.js';
export type { GatewayFlowRequest, GatewayDestination, GatewayFlowInfo, GatewayLeg, GatewayCounters, RelayCounters, ReasonCounts } from './gateway/flow.js';
export type { UdpRelayOptions } from './gateway/udp-relay.js';
// the gateway's DNS for its guest: port 53 on the gateway's address, UDP and TCP, from the host's resolver or a hosts table
export { startDnsResponder, DnsResponder, type DnsResponderOptions, type DnsResponderCounters } from './gateway/dns-responder.js';
export { hostResolver, hostsFileResolver, parseHostsFile, type HostsTable, type LookupAll } from './gateway/dns-resolver.js';
export type { DnsResolver, ResolvedName, RcodeName } from './gateway/dns-answer.js';
export type { HostConnect } from './gateway/tcp-relay.js';
export { registerGatewayMetrics } from './gateway/metrics.js';
