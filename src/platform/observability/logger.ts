import { createRequire } from 'node:module';
import pino, { type DestinationStream, type Logger, type LoggerOptions } from 'pino';
import type PinoPretty from 'pino-pretty';
import { logMixin } from './log-context.ts';

export type { Logger };

/**
 * Secrets a log line must never show, wherever they sit in a logged object:
 * bearer tokens and Stripe signatures (request headers), API keys, webhook
 * and client secrets, passwords. Each path is also matched one and two levels
 * down, since pino's redaction has no recursive wildcard.
 */
const SECRET_KEYS = [
  'authorization', 'Authorization', 'cookie', 'stripe-signature', 'Stripe-Signature',
  'apiKey', 'api_key', 'secret', 'authSecret', 'webhookSecret', 'webhook_secret', 'clientSecret', 'client_secret', 'password', 'token',
];

export const REDACTED_PATHS: readonly string[] = SECRET_KEYS.flatMap((key) => {
  const safe = /^[A-Za-z_]\w*$/.test(key) ? key : `["${key}"]`;
  const join = (prefix: string): string => (safe.startsWith('[') ? `${prefix}${safe}` : `${prefix}.${safe}`);
  return [safe, join('*'), join('*.*'), join('req.headers'), join('headers')];
});

export interface LoggerSettings {
  level: string;
  /** Where lines go; by default stdout (pretty-printed when stdout is a terminal). Tests pass a stream to read them. */
  destination?: DestinationStream;
  /** Fields on every line (the process's services, the deployment's namespace). */
  base?: Record<string, unknown>;
}

/** The process's root logger: JSON lines at `level`, secrets redacted, each line with its message and trace fields. */
export function createLogger(settings: LoggerSettings): Logger {
  const options: LoggerOptions = {
    level: settings.level,
    base: { pid: process.pid, ...settings.base },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    redact: { paths: [...REDACTED_PATHS], censor: '[redacted]' },
    mixin: logMixin,
  };
  const destination = settings.destination
    ?? (process.stdout.isTTY ? prettyPrinter()({ colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' }) : pino.destination(1));
  return pino(options, destination);
}

/** pino-pretty, loaded only for a terminal: a service writing JSON lines (every deployment) never loads it. */
function prettyPrinter(): typeof PinoPretty {
  return createRequire(import.meta.url)('pino-pretty') as typeof PinoPretty;
}

let fallback: Logger | null = null;

/**
 * For parts built without a logger (a test, a tool): warnings and errors on
 * stderr, so nothing fails silently. The wiring always passes its own.
 */
export function fallbackLogger(): Logger {
  fallback ??= createLogger({ level: 'warn', destination: pino.destination(2) });
  return fallback;
}

/**
 * A rejection handler that logs and lets the caller carry on — for errors that
 * must not stop what is running (closing a client that already failed), yet
 * must not vanish: `.catch(loggedAndIgnored(log, 'debug', 'closing the lag reader failed'))`.
 */
export function loggedAndIgnored(logger: Logger, level: 'debug' | 'info' | 'warn' | 'error', message: string, fields: object = {}): (error: unknown) => void {
  return (error: unknown) => { logger[level]({ ...fields, err: error }, message); };
}
