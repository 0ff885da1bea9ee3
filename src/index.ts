/** synack: a TCP/IP stack in TypeScript with node:net's API, and the tools to see TCP connection states. */
export { Stack, type StackOptions, type SocketInfo, type StackCounters } from './stack/stack.js';
export { SimNetwork, type SimNetworkOptions, type HostOptions } from './api/sim-network.js';
export { Socket, type SocketOptions, type SocketConnectOptions } from './api/socket.js';
export { Server, type ServerOptions, type ListenOptions } from './api/server.js';
export type { NetApi } from './api/net.js';
export type { Impairments, SimPacketEvent } from './link/sim.js';
export { TCP_STATES, type TcpState } from './tcp/state.js';
export { SYSCTL_DEFAULTS, applySysctl, type Sysctl } from './tcp/sysctl.js';
export { transitionChannel, type TransitionEvent } from './observe/events.js';
export { VirtualClock } from './time/virtual-clock.js';
export { RealClock } from './time/real-clock.js';
export type { Clock } from './time/clock.js';
// real links: TUN/TAP (the addon loads on first open), Ethernet framing with ARP/ND, pcap taps
export { TunDevice, type TunOpenOptions, type TunStats } from './link/tun.js';
export { openTap, attachTap } from './link/tap.js';
export { attachTun, pcapTap, type AttachedLink } from './link/attach.js';
export { EthernetAdapter, type EthernetAdapterOptions } from './link/ethernet-adapter.js';
export { tunAvailable } from './link/native.js';
export { createMetricsRegistry, serveMetrics } from './observe/metrics.js';
