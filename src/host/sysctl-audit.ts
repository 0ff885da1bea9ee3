/** `synack stat --sysctl`: current values of the classic knobs next to default and advice. Read-only. */
import type { ProcSource } from './proc-source.js';
import type { SoftnetTotals } from './proc-counters.js';
import { KNOBS, KNOB_KEYS, type Verdict } from './sysctl-knobs.js';

export interface AuditRow {
  key: string;
  /** Current value, or null when the knob does not exist on this kernel. */
  current: string | null;
  linuxDefault: string;
  advice: string;
  verdict: Verdict;
  note: string;
  /** Host-wide knob (not per namespace). */
  global: boolean;
  /** Something about this host worth a look (e.g. drops, advice already applied where it hurts). */
  remark?: string;
}

/** Reads every knob through the source (namespace-aware) and annotates what this host shows. */
export function auditSysctls(source: ProcSource, softnet?: SoftnetTotals): AuditRow[] {
  const values = source.readSysctls(KNOB_KEYS);
  return auditValues(values, softnet);
}

export function auditValues(values: ReadonlyMap<string, string>, softnet?: SoftnetTotals): AuditRow[] {
  return KNOBS.map((k) => {
    const current = values.get(k.key) ?? null;
    const row: AuditRow = {
      key: k.key,
      current,
      linuxDefault: k.linuxDefault,
      advice: k.advice,
      verdict: k.verdict,
      note: k.note,
      global: k.global ?? false,
    };
    const remark = remarkFor(k.key, current, values, softnet);
    if (remark) row.remark = remark;
    return row;
  });
}

function remarkFor(
  key: string,
  current: string | null,
  values: ReadonlyMap<string, string>,
  softnet?: SoftnetTotals,
): string | undefined {
  switch (key) {
    case 'net.ipv4.tcp_tw_recycle':
      return current === null ? 'absent: this kernel removed it (>= 4.12)' : current !== '0' ? 'enabled: breaks clients behind NAT, set 0' : undefined;
    case 'net.ipv4.tcp_tw_reuse':
      if (current !== null && current !== '0' && values.get('net.ipv4.tcp_timestamps') === '0') {
        return 'has no effect: tcp_timestamps is 0';
      }
      return undefined;
    case 'net.ipv4.tcp_syncookies':
      return current === '0' ? 'off: a SYN flood can fill every SYN queue' : undefined;
    case 'net.core.netdev_max_backlog':
      if (!softnet) return undefined;
      return softnet.dropped > 0
        ? `softnet_stat: ${softnet.dropped} packets dropped on a full backlog since boot; raising it helps`
        : 'softnet_stat: no backlog drops since boot; raising it changes nothing';
    case 'net.ipv4.tcp_max_tw_buckets': {
      const n = Number(current);
      return current !== null && Number.isFinite(n) && n < 10000 ? 'low: TIME_WAIT sockets beyond it are destroyed early' : undefined;
    }
    case 'net.ipv4.tcp_fin_timeout':
      return current !== null && current !== '60' ? 'does not change TIME_WAIT (fixed 60 s)' : undefined;
    default:
      return undefined;
  }
}
