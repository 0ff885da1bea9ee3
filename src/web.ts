/**
 * `synack/web`: the stack, the simulator and the web-standard sockets API (`stack.connect`,
 * `stack.listen`) for every JavaScript runtime, without node:net's API and the stream library it
 * needs (`stack.net` throws here; the package's main entry has it). No `node:` module is imported.
 */
export { Stack, type StackOptions, type SocketInfo, type StackCounters } from './stack/stack.js';
export { SimNetwork, type SimNetworkOptions, type HostOptions } from './api/sim-network.js';
export type { NetApi } from './api/net.js';
export type { Impairments, SimPacketEvent } from './link/sim.js';
// what a link declares it does for the stack (checksums, GSO), and two stacks joined in one process
export { NO_OFFLOAD, type LinkOffload } from './link/offload.js';
export { pairStacks, type PairOptions, type StackPair } from './link/pair.js';
export { completeTcpChecksum } from './wire/packet.js';
export { segmentSuperPacket } from './wire/gso.js';
// the simulator's impairments for any packet path (a TUN/TAP link, an emulator's network card)
export { ImpairPipe, type ImpairPipeOptions, type ImpairStats, type LinkImpairments } from './link/impair-pipe.js';
export { TCP_STATES, type TcpState } from './tcp/state.js';
export { SYSCTL_DEFAULTS, applySysctl, type Sysctl } from './tcp/sysctl.js';
export { transitionChannel, type TransitionEvent } from './observe/events.js';
export { VirtualClock } from './time/virtual-clock.js';
export { RealClock } from './time/real-clock.js';
export type { Clock } from './time/clock.js';
// Ethernet framing with ARP/ND (for emulators that speak frames, such as v86) and pcap bytes
export { EthernetAdapter, type EthernetAdapterOptions } from './link/ethernet-adapter.js';
export { V86NetworkAdapter, v86NetworkAdapter, type V86AdapterOptions, type V86Bus } from './link/v86.js';
export { PcapWriter, readPcap, LINKTYPE_ETHERNET, LINKTYPE_RAW, type PcapFile } from './link/pcap-writer.js';
// the web-standard sockets API
export {
  connect,
  StreamSocket,
  TCPServerSocket,
  type SocketOptions as WebSocketOptions,
  type SocketInfo as WebSocketInfo,
  type SocketOpenInfo,
  type StreamSocketOptions,
  type TCPServerSocketOptions,
  type TCPServerSocketOpenInfo,
  type SocketAddress,
  type WebSocketError,
  type WebErrorName,
} from './web/index.js';
