import type { Command } from 'commander';
import { createProgram, runCli } from './cli-conventions.ts';
import { registerDeadLetterCommands } from './dead-letter-commands.ts';
import { registerEventsCommand } from './events-command.ts';
import { registerLagCommand } from './lag-command.ts';
import { registerSagaCommands } from './saga-commands.ts';
import { registerServeCommands } from './serve-command.ts';
import { registerTopicsCommands } from './topics-commands.ts';
import { registerUpCommand } from './up-command.ts';
import { registerGatewayCommand } from './gateway-command.ts';
import { registerAuditCommand } from './audit-command.ts';
import { registerChaosCommand } from './chaos-command.ts';
import { registerBenchCommand } from './bench-command.ts';
import { registerSimulateCommand } from './simulate-command.ts';

/**
 * The `paysaga` command tree. A new command lives in its own file (`register…Command(program)`) and is added here
 * with one line; it follows the conventions in cli-conventions.ts (exit codes, --json, fast --help).
 */
export function buildProgram(): Command {
  const program = createProgram();
  registerServeCommands(program);
  registerTopicsCommands(program);
  registerLagCommand(program);
  registerEventsCommand(program);
  registerUpCommand(program);
  registerSagaCommands(program);
  registerDeadLetterCommands(program);

  registerGatewayCommand(program);
  registerAuditCommand(program);
  registerChaosCommand(program);
  registerBenchCommand(program);
  registerSimulateCommand(program);

  return program;
}

if (import.meta.main) process.exitCode = await runCli(buildProgram(), process.argv.slice(2));
