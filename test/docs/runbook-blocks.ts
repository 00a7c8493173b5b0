import type { Command } from 'commander';

export interface ShellBlock {
  /** The fence's info string after `sh`: `runbook`, `runbook-destructive` or empty. */
  tag: string;
  code: string;
  /** 1-based line of the opening fence. */
  line: number;
  /** `# expect: <regex>` lines: the block's output must match each. */
  expect: RegExp[];
}

/** The ```sh blocks of a markdown page. */
export function shellBlocks(markdown: string): ShellBlock[] {
  const blocks: ShellBlock[] = [];
  const lines = markdown.split('\n');
  for (let index = 0; index < lines.length; index++) {
    const open = /^```sh(?:\s+(\S+))?\s*$/.exec(lines[index] ?? '');
    if (!open) continue;
    const start = index;
    const body: string[] = [];
    for (index += 1; index < lines.length && lines[index] !== '```'; index++) body.push(lines[index] ?? '');
    const expect = body.flatMap((text) => { const match = /^# expect: (.+)$/.exec(text); return match?.[1] ? [new RegExp(match[1], 'm')] : []; });
    blocks.push({ tag: open[1] ?? '', code: body.join('\n'), line: start + 1, expect });
  }
  return blocks;
}

/** Splits a command line into words the way the shell would for simple quoting ('…', "…"); `$(…)` is kept as one word. */
function words(text: string): string[] {
  return [...text.matchAll(/'[^']*'|"[^"]*"|\$\([^)]*\)|\S+/g)].map((match) => match[0].replace(/^['"]|['"]$/g, ''));
}

/** Every `paysaga …` invocation in a piece of shell or an inline code span, up to a pipe, list operator or comment. */
export function paysagaInvocations(text: string): string[][] {
  // Comments are prose (`# the pid of paysaga serve order`), not commands.
  const joined = text.replace(/\\\n/g, ' ').split('\n').map((line) => line.replace(/(^|\s)#.*$/, '')).join('\n');
  return [...joined.matchAll(/(?:^|[\s;&|(])paysaga\s+([^|;&)#\n]*)/g)].map((match) => words(match[1] ?? ''));
}

/** Why an invocation does not fit the command tree (an unknown command or option), or null when it does. */
export function invocationProblem(program: Command, args: readonly string[]): string | null {
  let command = program;
  let index = 0;
  for (; index < args.length; index++) {
    const sub = command.commands.find((candidate) => candidate.name() === args[index]);
    if (!sub) break;
    command = sub;
  }
  if (command === program) return `no command ${args[0] ?? '(none)'}`;
  if (command.commands.length > 0 && !(command as unknown as { _actionHandler: unknown })._actionHandler && index < args.length && !(args[index] ?? '').startsWith('-')) {
    return `${command.name()} has no subcommand ${args[index]}`;
  }
  const known = new Set(['--help', '-h', ...command.options.flatMap((option) => [option.long, option.short].filter((flag): flag is string => Boolean(flag)))]);
  for (const arg of args.slice(index)) {
    const flag = arg.replace(/^\[/, '').replace(/[\]…]+$/, '').split('=')[0] ?? '';
    if (flag.startsWith('-') && !known.has(flag)) return `${command.name()} has no option ${flag}`;
  }
  return null;
}
