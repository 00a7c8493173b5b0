import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../../src/platform/observability/logger.ts';

export interface CapturedLogs {
  /** The process logger to hand to startPlatform or a component. */
  logger: Logger;
  /** Everything written so far, as written. */
  text(): string;
  /** Each line parsed (a line that is not JSON throws). */
  lines(): Record<string, unknown>[];
}

/** A real paysaga logger (redaction, mixin and all) writing into memory, so a test reads exactly what an operator would. */
export function captureLogs(level = 'trace'): CapturedLogs {
  const chunks: string[] = [];
  const destination = new Writable({ write(chunk: Buffer, _encoding, done) { chunks.push(chunk.toString('utf8')); done(); } });
  const logger = createLogger({ level, destination });
  const text = (): string => chunks.join('');
  return {
    logger, text,
    lines: () => text().split('\n').filter((line) => line !== '').map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}
