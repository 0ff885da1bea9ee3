/**
 * The knobs of the classic TCP tuning advice (the project's reference article and the many copies
 * of it), with Linux's default, the commonly recommended value, and whether that advice still holds
 * on today's kernels. Data only; sysctl-audit.ts reads the current values. Nothing here writes.
 */

export type Verdict = 'holds' | 'partly' | 'wrong' | 'obsolete' | 'default' | 'none';

export interface Knob {
  key: string;
  /** Linux's default, as text (some are sized from memory at boot). */
  linuxDefault: string;
  /** The value the classic advice recommends ("—" when it gives none). */
  advice: string;
  verdict: Verdict;
  /** Why, in one or two sentences an operator can act on. */
  note: string;
  /** True when the knob is host-wide (not per network namespace). */
  global?: boolean;
}

export const KNOBS: readonly Knob[] = [
  {
    key: 'net.ipv4.tcp_syn_retries',
    linuxDefault: '6',
    advice: '2',
    verdict: 'partly',
    note:
      'SYN retransmissions before connect() fails: 6 is about 127 s, 2 about 7 s. Fine for clients in one ' +
      'datacenter that should fail fast; on lossy or long paths it turns a dropped SYN into an error. ' +
      'Prefer a connect timeout in the application (or TCP_SYNCNT per socket).',
  },
  {
    key: 'net.ipv4.tcp_synack_retries',
    linuxDefault: '5',
    advice: '2',
    verdict: 'partly',
    note:
      'SYN-ACK retransmissions for a half-open connection: 5 keeps SYN_RECV about 63 s, 2 about 7 s. ' +
      'With tcp_syncookies=1 a flood no longer fills the SYN queue, so lowering it mostly costs slow clients.',
  },
  {
    key: 'net.ipv4.tcp_keepalive_time',
    linuxDefault: '7200',
    advice: '1200',
    verdict: 'partly',
    note:
      'Idle seconds before the first keepalive probe, only for sockets with SO_KEEPALIVE. Lower it (below ' +
      'your NAT/firewall idle timeout) to find dead peers. It does NOT end CLOSE_WAIT held by an application ' +
      'that never calls close(): the kernel cannot close the application\'s descriptor.',
  },
  {
    key: 'net.ipv4.tcp_keepalive_intvl',
    linuxDefault: '75',
    advice: '15-30',
    verdict: 'holds',
    note: 'Seconds between unanswered keepalive probes; with probes it sets how long a dead peer goes unnoticed.',
  },
  {
    key: 'net.ipv4.tcp_keepalive_probes',
    linuxDefault: '9',
    advice: '5',
    verdict: 'holds',
    note: 'Unanswered probes before the connection is reset (time + intvl x probes in all).',
  },
  {
    key: 'net.ipv4.tcp_orphan_retries',
    linuxDefault: '0 (means 8)',
    advice: '3',
    verdict: 'holds',
    note:
      'Retransmissions for orphaned sockets (closed by the application, FIN not yet acknowledged: ' +
      'FIN_WAIT1, CLOSING, LAST_ACK). 3 frees them sooner when peers have vanished.',
  },
  {
    key: 'net.ipv4.tcp_fin_timeout',
    linuxDefault: '60',
    advice: '30',
    verdict: 'partly',
    note:
      'Bounds only orphaned FIN_WAIT2 (the application closed, the peer never sends its FIN). It does NOT ' +
      'shorten TIME_WAIT, which Linux fixes at 60 s (TCP_TIMEWAIT_LEN), and not FIN_WAIT2 of sockets still ' +
      'open after shutdown().',
  },
  {
    key: 'net.ipv4.tcp_max_syn_backlog',
    linuxDefault: 'memory-sized (>= 128)',
    advice: '4096-8192',
    verdict: 'partly',
    note:
      'Only consulted when tcp_syncookies=0. Each listener\'s SYN queue is capped by its listen() backlog ' +
      '(min(backlog, somaxconn)), so raise somaxconn and the application\'s backlog instead.',
  },
  {
    key: 'net.ipv4.tcp_syncookies',
    linuxDefault: '1',
    advice: '1',
    verdict: 'default',
    note: 'Answers with SYN cookies only when a SYN queue overflows; already the default. Keep 1.',
  },
  {
    key: 'net.ipv4.tcp_tw_reuse',
    linuxDefault: '2 (loopback only)',
    advice: '1',
    verdict: 'holds',
    note:
      'Lets connect() reuse a TIME_WAIT 4-tuple when timestamps prove it safe (needs tcp_timestamps=1). Helps ' +
      'clients opening many connections to one ip:port; does nothing for TIME_WAIT of connections a server accepted.',
  },
  {
    key: 'net.ipv4.tcp_tw_recycle',
    linuxDefault: 'removed in 4.12',
    advice: '1',
    verdict: 'wrong',
    note:
      'Removed in Linux 4.12. It dropped SYNs from clients behind NAT (per-host timestamp checks), causing ' +
      'random connection failures. Do not set it on older kernels either.',
  },
  {
    key: 'net.ipv4.tcp_timestamps',
    linuxDefault: '1',
    advice: '1',
    verdict: 'default',
    note: 'Required by tcp_tw_reuse and PAWS; keep 1.',
  },
  {
    key: 'net.core.netdev_max_backlog',
    linuxDefault: '1000',
    advice: '3000',
    verdict: 'partly',
    note:
      'Per-CPU queue of received packets before the stack processes them; unrelated to connection states. ' +
      'Raise only when /proc/net/softnet_stat shows drops (second column).',
    global: true,
  },
  {
    key: 'net.core.somaxconn',
    linuxDefault: '4096 (128 before 5.4)',
    advice: '1024-65535',
    verdict: 'obsolete',
    note:
      'Caps the backlog an application passes to listen(). Since Linux 5.4 the default 4096 is enough for most ' +
      'hosts; the application\'s own backlog (Node 511, nginx 511) is usually the real limit.',
  },
  {
    key: 'net.ipv4.ip_local_port_range',
    linuxDefault: '32768 60999',
    advice: '1024 65535',
    verdict: 'partly',
    note:
      'Ephemeral ports for outgoing connections; exhaustion is per destination ip:port. Widening helps busy ' +
      'clients; keep listening ports out of it (or list them in ip_local_reserved_ports).',
  },
  {
    key: 'net.ipv4.tcp_max_tw_buckets',
    linuxDefault: 'memory-sized (hash/2)',
    advice: '5000',
    verdict: 'wrong',
    note:
      'Lowering it to cap TIME_WAIT only makes the kernel destroy new TIME_WAIT sockets at once ("TCP: time ' +
      'wait bucket table overflow"), dropping the protection TIME_WAIT exists for. Fix who closes first, pool ' +
      'connections, or use tcp_tw_reuse for outgoing ones; if it is reached, raise it.',
  },
  {
    key: 'net.ipv4.tcp_max_orphans',
    linuxDefault: 'memory-sized',
    advice: '—',
    verdict: 'none',
    note:
      'Orphaned sockets (closed by their application, still closing) beyond this are reset at once ' +
      '("too many orphaned sockets"); see the orphan count in --diagnose.',
    global: true,
  },
];

export const KNOB_KEYS: readonly string[] = KNOBS.map((k) => k.key);
