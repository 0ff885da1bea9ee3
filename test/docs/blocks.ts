/**
 * The code blocks of README.md and docs/*.md, classified for test/docs/code-blocks.test.ts:
 *
 * - `program`: a ```js / ```ts block. It is run; when a ```text block follows it directly, that
 *   is its output and must match.
 * - `session`: a block with `$ command` lines, each followed by the output it shows. synack's own
 *   commands (`synack ...`, `npx synack ...`, `npm run demo`) are run and their output compared.
 * - `commands`: a ```sh block without prompts: every line is a command; synack's are run, and
 *   `npm install` / `npm ci` / `npm test` are what CI itself runs.
 * - `not-run`: preceded by `<!-- not-run: reason -->` (needs root, a namespace, a VM...).
 * - `text`: output, diagrams and tables that are not code.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

export type Kind = 'program' | 'session' | 'commands' | 'not-run' | 'text';

export interface Block {
  file: string;
  /** 1-based line of the opening fence */
  line: number;
  lang: string;
  body: string;
  kind: Kind;
  /** the reason given in `<!-- not-run: reason -->` */
  reason?: string;
  /** for a program: the ```text block right after it, its expected output */
  output?: string;
}

const PROGRAM_LANGS = new Set(['js', 'javascript', 'mjs', 'ts', 'typescript']);
const SHELL_LANGS = new Set(['sh', 'bash', 'shell', 'console']);
const NOT_RUN = /^<!--\s*not-run:\s*(.+?)\s*-->$/;

/** README.md and every docs/*.md, relative to `root`. */
export function markdownFiles(root: string): string[] {
  const docs = readdirSync(join(root, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .sort()
    .map((f) => `docs/${f}`);
  return ['README.md', ...docs];
}

export function extractBlocks(root: string, file: string): Block[] {
  const lines = readFileSync(join(root, file), 'utf8').split('\n');
  const raw: { line: number; lang: string; body: string; before: string; gapOnly: boolean }[] = [];
  let prevEnd = -1;
  for (let i = 0; i < lines.length; i++) {
    const open = /^(```+|~~~+)\s*([\w-]*)/.exec(lines[i]!);
    if (!open) continue;
    const fence = open[1]!;
    let j = i + 1;
    while (j < lines.length && !lines[j]!.startsWith(fence)) j++;
    let k = i - 1;
    while (k >= 0 && lines[k]!.trim() === '') k--;
    raw.push({
      line: i + 1,
      lang: open[2]!.toLowerCase(),
      body: lines.slice(i + 1, j).join('\n'),
      before: k >= 0 ? lines[k]!.trim() : '',
      // only blank lines between the previous block's closing fence and this one
      gapOnly: prevEnd >= 0 && k === prevEnd,
    });
    prevEnd = j;
    i = j;
  }
  const blocks: Block[] = [];
  for (let n = 0; n < raw.length; n++) {
    const r = raw[n]!;
    const b: Block = { file, line: r.line, lang: r.lang, body: r.body, kind: 'text' };
    const notRun = NOT_RUN.exec(r.before);
    if (notRun) {
      b.kind = 'not-run';
      b.reason = notRun[1]!;
    } else if (PROGRAM_LANGS.has(r.lang)) {
      b.kind = 'program';
      const next = raw[n + 1];
      if (next && next.lang === 'text' && next.gapOnly && !/^\$ /m.test(next.body)) {
        b.output = next.body;
        n++; // the output block belongs to this program
      }
    } else if (/^\$ /m.test(r.body)) {
      b.kind = 'session';
    } else if (SHELL_LANGS.has(r.lang)) {
      b.kind = 'commands';
    }
    blocks.push(b);
  }
  return blocks;
}

export interface Step {
  command: string;
  /** the output shown after `$ command`, up to the next prompt */
  output: string;
}

/** A session block's `$ command` lines and the output shown after each. */
export function sessionSteps(body: string): Step[] {
  const steps: Step[] = [];
  for (const line of body.split('\n')) {
    if (line.startsWith('$ ')) steps.push({ command: line.slice(2).trim(), output: '' });
    else if (steps.length > 0) steps.at(-1)!.output += `${line}\n`;
  }
  for (const s of steps) s.output = s.output.replace(/\n+$/, '\n');
  return steps;
}

/** CI's own steps: the quick start's install and test commands. */
export const CI_COMMANDS = new Set(['npm install', 'npm ci', 'npm test']);

/**
 * synack's own command line as argv for `node dist/src/cli/main.js`, or null when the command is
 * something else. `npm run demo` is the quick start's demo.
 */
export function synackArgv(command: string): string[] | null {
  const c = command.replace(/\s+#.*$/, '').trim();
  if (c === 'npm run demo') return ['demo'];
  const m = /^(?:npx )?synack(?:\s+(.*))?$/.exec(c);
  if (!m) return null;
  if (/[|&;<>`$()]/.test(m[1] ?? '')) return null; // a pipeline: not a plain synack command
  return (m[1] ?? '').split(/\s+/).filter(Boolean);
}

/** What varies from run to run in shown output: wall-clock times, durations, pids. */
export function normalise(text: string): string {
  return text
    .replace(/\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC/g, '<time>')
    .replace(/read in [\d.]+ ms/g, 'read in <ms>')
    .replace(/\(pid \d+\)/g, '(pid <pid>)')
    .replace(/[ \t]+$/gm, '')
    .replace(/\n+$/, '\n');
}
