import { appendFile } from 'node:fs/promises';
import type { NotificationChannel, OutgoingNotification } from './notification-channel.ts';

export interface LogChannelOptions {
  /** Appends one JSON line per notification to this file; without it, lines go to `log`. */
  filePath?: string | null;
  /** Receives one JSON line per notification when no file is configured (default console.log). */
  log?: (line: string) => void;
}

/** The default channel: a JSON line per notification, in a file or through a logger. */
export class LogChannel implements NotificationChannel {
  readonly name = 'log';
  readonly #filePath: string | null;
  readonly #log: (line: string) => void;

  constructor(options: LogChannelOptions = {}) {
    this.#filePath = options.filePath ?? null;
    this.#log = options.log ?? ((line) => { console.log(line); });
  }

  async send(notification: OutgoingNotification): Promise<void> {
    const line = JSON.stringify({ ...notification, sentAt: new Date().toISOString() });
    if (this.#filePath === null) {
      this.#log(line);
      return;
    }
    // O_APPEND: each line is written whole, also with several writers.
    await appendFile(this.#filePath, `${line}\n`, 'utf8');
  }
}
