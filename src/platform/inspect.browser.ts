/**
 * `#platform/inspect` where there is no node:util: enough of util.inspect for the values an
 * argument error names (`'x'`, `5`, `10n`, `Symbol(s)`, `{ a: 1 }`, `[ 1, 2 ]`).
 */
export function inspect(value: unknown, opts: { depth?: number } = {}): string {
  switch (typeof value) {
    case 'string':
      return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
    case 'bigint':
      return `${value}n`;
    case 'function':
      return value.name ? `[Function: ${value.name}]` : '[Function (anonymous)]';
    case 'object': {
      if (value === null) return 'null';
      if ((opts.depth ?? 2) < 0) return Array.isArray(value) ? '[Array]' : '[Object]';
      if (Array.isArray(value)) return value.length === 0 ? '[]' : `[ ${value.map((v) => inspect(v, { depth: (opts.depth ?? 2) - 1 })).join(', ')} ]`;
      const entries = Object.entries(value as Record<string, unknown>).map(([k, v]) => `${k}: ${inspect(v, { depth: (opts.depth ?? 2) - 1 })}`);
      return entries.length === 0 ? '{}' : `{ ${entries.join(', ')} }`;
    }
    default:
      return String(value);
  }
}
