import { describe, expect, it } from 'vitest';
import { renderDiagnosis } from '../../src/host/format/diagnosis-text.js';
import { buildJson } from '../../src/host/format/json.js';
import { renderPrometheus } from '../../src/host/format/prometheus.js';
import { sparkline } from '../../src/host/format/sparkline.js';
import { makeStyle, styleFor, visibleLength } from '../../src/host/format/style.js';
import { renderSummary } from '../../src/host/format/summary-text.js';
import { renderTable } from '../../src/host/format/table.js';
import { wrap } from '../../src/host/format/wrap.js';
import { diagnose } from '../../src/host/diagnose/index.js';
import { summarize } from '../../src/host/summary.js';
import { STATE_NAMES } from '../../src/host/tcp-states.js';
import { DEFAULT_SYSCTLS, snap, sock } from './helpers/build.js';

const plain = makeStyle(false);
const sockets = [
  sock({ state: 'LISTEN', local: '0.0.0.0:80', rxQueue: 1 }),
  sock({ local: '10.0.0.1:80', remote: '10.0.0.2:40000' }),
  sock({ state: 'TIME_WAIT', local: '10.0.0.1:80', remote: '10.0.0.2:40001' }),
  sock({ state: 'CLOSE_WAIT', local: '10.0.0.1:80', remote: '10.0.0.3:40002' }),
];
const meta = { source: 'this namespace', takenAt: 0, readMs: 1.5, malformed: 0, missing: [], backlogsKnown: false };

describe('output formats', () => {
  it('rule: colours only on a TTY, never with NO_COLOR', () => {
    expect(styleFor({ isTTY: false }, {}).enabled).toBe(false);
    expect(styleFor({ isTTY: true }, {}).enabled).toBe(true);
    expect(styleFor({ isTTY: true }, { NO_COLOR: '1' }).enabled).toBe(false);
    expect(renderSummary(summarize(sockets), meta, plain)).not.toMatch(/\x1b\[/);
    expect(renderSummary(summarize(sockets), meta, makeStyle(true))).toMatch(/\x1b\[/);
  });

  it('rule: tables align columns by visible width (numbers right, ANSI ignored)', () => {
    const bold = makeStyle(true);
    const lines = renderTable([{ header: 'STATE' }, { header: 'COUNT', align: 'right' }], [[bold.red('ESTABLISHED'), '1,000'], ['LISTEN', '7']]);
    expect(new Set(lines.map(visibleLength)).size).toBe(1);
    expect(lines[2]).toBe('LISTEN           7');
  });

  it('rule: the summary prints the classic `STATE count` lines in netstat names, all eleven', () => {
    const text = renderSummary(summarize(sockets), meta, plain);
    for (const st of STATE_NAMES) expect(text).toMatch(new RegExp(`^${st}\\s+\\d`, 'm'));
    expect(text).toMatch(/^ESTABLISHED\s+1$/m);
    expect(text).toMatch(/^TOTAL\s+4$/m);
    expect(text).toContain('BACKLOG needs ss');
  });

  it('rule: --json has `states` with every netstat state name and a number each', () => {
    const j = buildJson({ source: 'x', netns: null, snapshot: snap(sockets), summary: summarize(sockets) });
    expect(Object.keys(j.states as object)).toEqual([...STATE_NAMES]);
    expect(j).toMatchObject({ schema: 'synack.stat/v1', total: 4, states: { CLOSE_WAIT: 1, TIME_WAIT: 1 } });
    expect(JSON.parse(JSON.stringify(j))).toEqual(j);
  });

  it('rule: --prometheus uses node_exporter names and is valid exposition text', () => {
    const text = renderPrometheus(summarize(sockets), { TCP: { inuse: 3, orphan: 0, tw: 1 } }, { TcpExt: { ListenOverflows: 2 }, Tcp: { CurrEstab: 1 } });
    expect(text).toContain('node_tcp_connection_states{state="established"} 1');
    expect(text).toContain('node_tcp_connection_states{state="close_wait"} 1');
    expect(text).toContain('node_tcp_connection_states{state="closing"} 0');
    expect(text).toContain('node_sockstat_TCP_tw 1');
    expect(text).toContain('node_netstat_TcpExt_ListenOverflows 2');
    expect(text).toContain('synack_tcp_listen_accept_queue{listener="0.0.0.0:80"} 1');
    for (const line of text.trim().split('\n')) {
      expect(line).toMatch(/^(# (HELP|TYPE) [a-zA-Z_:][a-zA-Z0-9_:]* .+|[a-zA-Z_:][a-zA-Z0-9_:]*(\{[a-z_]+="[^"]*"(,[a-z_]+="[^"]*")*\})? -?\d+)$/);
    }
  });

  it('rule: sparklines scale to the series; a flat series is flat', () => {
    expect(sparkline([0, 1, 2, 3, 4, 5, 6, 7])).toBe('▁▂▃▄▅▆▇█');
    expect(sparkline([5, 5, 5])).toBe('▄▄▄');
    expect(sparkline([0, 0])).toBe('▁▁');
    expect(sparkline([])).toBe('');
  });

  it('rule: wrapped paragraphs keep their indent and width', () => {
    const lines = wrap('one two three four five six seven eight nine ten', 20, '  - ', '    ');
    for (const l of lines) expect(l.length).toBeLessThanOrEqual(20);
    expect(lines[0]!.startsWith('  - one')).toBe(true);
    expect(lines[1]!.startsWith('    ')).toBe(true);
  });

  it('rule: a diagnosis prints a check table, then findings with Evidence, Cause, Fix and What does not work', () => {
    const cw = Array.from({ length: 15 }, (_, i) => sock({ state: 'CLOSE_WAIT', local: '10.0.0.1:8080', remote: `10.0.0.2:${i + 1}` }));
    const text = renderDiagnosis(diagnose({ now: snap(cw), sysctls: DEFAULT_SYSCTLS }), 'header', plain, 100);
    expect(text).toMatch(/^CHECK\s+STATUS\s+READING$/m);
    expect(text).toMatch(/^CLOSE_WAIT\s+WARNING\s+15/m);
    for (const h of ['Evidence', 'Cause', 'Fix', 'What does not work']) expect(text).toContain(`\n  ${h}\n`);
    for (const l of text.split('\n').filter((x) => x.startsWith('    '))) expect(l.length).toBeLessThanOrEqual(100);
  });
});
