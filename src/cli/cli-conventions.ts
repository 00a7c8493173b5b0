/**
 * The conventions every `paysaga` command follows (docs/cli.md repeats them for operators):
 *
 * - Exit codes: 0 done; 1 failure (the work was tried and failed: a broker or database away, no such saga, a
 *   replay refused); 2 usage (an unknown command or option, a missing argument, a bad option value). Throw
 *   `UsageError` for a usage mistake found in an action, anything else for a failure; `runCli` maps them and
 *   prints one readable line on stderr (`paysaga: …`), never a stack.
 * - Every command and subcommand has a description (test/cli/cli-surface.test.ts walks the tree and fails on one
 *   without). An option with a fixed set of values uses commander's `.choices()`; a number uses `integerOption`.
 * - A command that lists or shows something takes `--json` (`withJson`) and prints through `printResult`: one JSON
 *   document on stdout (bigints as strings), or the human text. Progress and notes go to stderr (`progressBar`,
 *   `note`), so stdout stays parseable.
 * - `--help` stays fast: a command file imports only commander, this module and light constants at the top, and
 *   loads what its action needs with `await import(…)` inside the action.
 * - A long-running command (events --follow, serve) ends on SIGINT/SIGTERM with exit 0 (`untilStopped`).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command, CommanderError, InvalidArgumentError } from 'commander';

export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;

/** A mistake in how the command was called: exit 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** The version in package.json (what `paysaga --version` prints). */
export function packageVersion(): string {
  const manifest = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'package.json'), 'utf8')) as { version?: unknown };
  return typeof manifest.version === 'string' ? manifest.version : '0.0.0';
}

/** The root command with --version; the exit-code handling is applied to the whole tree by `runCli`. */
export function createProgram(): Command {
  return new Command('paysaga')
    .description('Event-driven payment platform: checkout as one saga over Kafka and PostgreSQL')
    .version(packageVersion(), '-V, --version', 'print the version')
    // A subcommand's options are its own: `saga list --json` is list's --json, not saga's.
    .enablePositionalOptions()
    .showSuggestionAfterError(true);
}

/** Adds `--json` to a command that lists or shows something. */
export function withJson(command: Command): Command {
  return command.option('--json', 'print one JSON document on stdout instead of text');
}

/** JSON with bigints as strings (offsets, lag) and a trailing newline. */
export function toJson(data: unknown): string {
  return JSON.stringify(data, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value), 2);
}

/** Prints `data` as JSON when --json was given, else as the text `render` makes of it. */
export function printResult<T>(options: { json?: boolean }, data: T, render: (data: T) => string): void {
  const text = options.json === true ? toJson(data) : render(data);
  if (text !== '') process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}

/** A line for the operator that is not the result (stderr). */
export function note(line: string): void {
  process.stderr.write(`${line}\n`);
}

/** A parser for an integer option in [min, max]: a bad value is a usage error (exit 2) naming the rule. */
export function integerOption(min: number, max = Number.MAX_SAFE_INTEGER): (value: string) => number {
  return (value: string) => {
    const parsed = Number(value);
    if (!/^-?\d+$/.test(value.trim()) || !Number.isSafeInteger(parsed) || parsed < min || parsed > max) {
      throw new InvalidArgumentError(`expected an integer from ${min} to ${max === Number.MAX_SAFE_INTEGER ? 'any' : max}.`);
    }
    return parsed;
  };
}

export interface ProgressBar {
  tick(failed?: boolean): void;
  done(): void;
}

/**
 * Progress of `total` items on stderr: a redrawn bar on a terminal, else a line at every tenth (logs, CI).
 * Nothing for zero items.
 */
export function progressBar(label: string, total: number, stream: NodeJS.WriteStream = process.stderr): ProgressBar {
  let count = 0;
  let failures = 0;
  let lastTenth = -1;
  const line = (): string => {
    const share = total === 0 ? 1 : Math.min(count / total, 1);
    const width = 30;
    const filled = Math.round(share * width);
    return `${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${count}/${total}${failures > 0 ? ` (${failures} failed)` : ''}`;
  };
  return {
    tick(failed = false) {
      count += 1;
      if (failed) failures += 1;
      if (stream.isTTY) stream.write(`\r${line()}`);
      else {
        const tenth = Math.floor((count / Math.max(total, 1)) * 10);
        if (tenth !== lastTenth) {
          lastTenth = tenth;
          stream.write(`${line()}\n`);
        }
      }
    },
    done() {
      if (stream.isTTY && total > 0) stream.write('\n');
    },
  };
}

/** Resolves with the signal's name on the first SIGINT or SIGTERM (a follow mode then stops and exits 0). */
export function untilStopped(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const stop = (signal: NodeJS.Signals): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve(signal);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}

const errorCode = (error: unknown): string | undefined =>
  typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string' ? error.code : undefined;

/** One readable line for an error an action threw (what the operator can act on, not a driver's internals). */
export function readableError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const code = errorCode(error);
  if (code === '42P01' || code === '3F000') {
    return `${message}: nothing of paysaga's in this database under PAYSAGA_NAMESPACE (has a service run against this DATABASE_URL and namespace?)`;
  }
  if (code === 'ECONNREFUSED' || /ECONNREFUSED/.test(message)) return `cannot connect (${message}): is the server running and the URL right?`;
  if (error instanceof AggregateError && error.errors.length > 0) return `${message}: ${error.errors.map(readableError).join('; ')}`;
  return message;
}

/** Which command a word on the command line names, walking down from `program`; an unknown one is returned. */
function unknownCommandIn(program: Command, args: readonly string[]): string | null {
  let command = program;
  for (const arg of args) {
    if (arg === '--') return null;
    if (arg.startsWith('-')) continue;
    // A command with its own action takes operands (`saga <id>`); a leaf has no subcommands to look up.
    if (command.commands.length === 0) return null;
    const sub = command.commands.find((candidate) => candidate.name() === arg || candidate.aliases().includes(arg));
    if (sub) {
      command = sub;
      continue;
    }
    if (command === program && arg === 'help') return null;
    const handled = (command as unknown as { _actionHandler: unknown })._actionHandler;
    return handled ? null : `${command === program ? '' : `${command.name()} `}${arg}`;
  }
  return null;
}

function eachCommand(command: Command, visit: (command: Command) => void): void {
  visit(command);
  for (const sub of command.commands) eachCommand(sub, visit);
}

/**
 * Parses `args` (without node and the script) and runs the command; answers the exit code instead of exiting, so
 * tests can run it in-process. Commander's own errors (unknown option, missing argument, invalid value) are usage.
 */
export async function runCli(program: Command, args: readonly string[]): Promise<number> {
  eachCommand(program, (command) => {
    command.exitOverride();
    command.showHelpAfterError('(add --help for usage)');
  });
  const unknown = unknownCommandIn(program, args);
  if (unknown !== null) {
    process.stderr.write(`paysaga: unknown command '${unknown}' (paysaga --help lists the commands)\n`);
    return EXIT.usage;
  }
  try {
    await program.parseAsync(args, { from: 'user' });
    // A command that ends with a verdict (audit's violations, up giving up, lag above --max-lag) sets process.exitCode.
    return process.exitCode === undefined || process.exitCode === null ? EXIT.ok : Number(process.exitCode);
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT.ok : EXIT.usage; // commander printed it
    process.stderr.write(`paysaga: ${readableError(error)}\n`);
    return error instanceof UsageError ? EXIT.usage : EXIT.failure;
  }
}
