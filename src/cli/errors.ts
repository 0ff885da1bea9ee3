/**
 * One error style for every command: `synack <command>: message (CODE)` on stderr, exit code 1.
 * Commander's own errors (unknown option, missing argument, a value an option parser refused) are
 * reworded into the same shape, with a Node-style code in place of commander's `commander.*`.
 */
import type { Command, CommanderError } from 'commander';

/** Commander's error codes, as Node-style codes (Node's own where one fits). */
const COMMANDER_CODES: Record<string, string> = {
  'commander.unknownOption': 'ERR_UNKNOWN_OPTION',
  'commander.unknownCommand': 'ERR_UNKNOWN_COMMAND',
  'commander.missingArgument': 'ERR_MISSING_ARGS',
  'commander.optionMissingArgument': 'ERR_MISSING_OPTION',
  'commander.missingMandatoryOptionValue': 'ERR_MISSING_OPTION',
  'commander.excessArguments': 'ERR_TOO_MANY_ARGS',
  'commander.invalidArgument': 'ERR_INVALID_ARG_VALUE',
  'commander.conflictingOption': 'ERR_INVALID_ARG_VALUE',
};

/** The one line printed for an error a user caused: `synack demo: --loss must be ... (ERR_INVALID_ARG_VALUE)`. */
export function errorLine(command: string, err: unknown): string {
  const e = (err ?? {}) as { message?: unknown; code?: unknown; name?: unknown };
  const message = typeof e.message === 'string' ? e.message : String(err);
  let code = typeof e.code === 'string' ? e.code : undefined;
  if (code === undefined && e.name === 'UsageError') code = 'ERR_USAGE';
  const who = command ? `synack ${command}` : 'synack';
  return `${who}: ${message}${code ? ` (${code})` : ''}\n`;
}

/** A warning in the same style, for something allowed but probably not meant. */
export function warningLine(command: string, message: string): string {
  return `synack ${command}: warning: ${message}\n`;
}

/** Commander's message without its `error: ` prefix and trailing newline. */
function commanderMessage(text: string): string {
  return text.replace(/^error:\s*/i, '').trim();
}

/**
 * Route commander's errors for `cmd` (and its subcommands) through `errorLine`; commander still
 * decides the exit (help and --version exit 0, errors exit 1).
 */
export function useOneErrorStyle(cmd: Command): void {
  const label = cmd.parent ? cmd.name() : '';
  cmd.configureOutput({
    outputError: () => {
      // printed by exitOverride below, where the code is known
    },
  });
  cmd.exitOverride((err: CommanderError) => {
    if (err.exitCode !== 0 && err.code !== 'commander.help' && err.code !== 'commander.helpDisplayed' && err.code !== 'commander.version') {
      const code = COMMANDER_CODES[err.code] ?? 'ERR_USAGE';
      process.stderr.write(errorLine(label, { message: commanderMessage(err.message), code }));
    }
    process.exit(err.exitCode);
  });
  for (const sub of cmd.commands) useOneErrorStyle(sub);
}
