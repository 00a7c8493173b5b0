import { LogChannel } from './channels/log-channel.ts';
import type { NotificationChannel } from './channels/notification-channel.ts';
import { WebhookChannel } from './channels/webhook-channel.ts';

/** The notification service's settings, from the environment. */
export interface NotificationConfig {
  /** NOTIFICATION_WEBHOOK_URL: POST every notification there (takes precedence over the log). */
  webhookUrl: string | null;
  /** NOTIFICATION_LOG_FILE: append a JSON line per notification to this file (else the process log). */
  logFile: string | null;
}

function httpUrl(name: string, raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Error(`${name} must be an http(s) URL, got ${JSON.stringify(raw)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`${name} must be an http(s) URL, got ${JSON.stringify(raw)}`);
  return url.toString();
}

export function loadNotificationConfig(env: NodeJS.ProcessEnv = process.env): NotificationConfig {
  return {
    webhookUrl: env.NOTIFICATION_WEBHOOK_URL ? httpUrl('NOTIFICATION_WEBHOOK_URL', env.NOTIFICATION_WEBHOOK_URL) : null,
    logFile: env.NOTIFICATION_LOG_FILE || null,
  };
}

/** The channel a configuration asks for: the webhook if a URL is set, else the log (file or `log`). */
export function channelFor(config: NotificationConfig, options: { log?: (line: string) => void } = {}): NotificationChannel {
  if (config.webhookUrl !== null) return new WebhookChannel({ url: config.webhookUrl });
  return new LogChannel({ filePath: config.logFile, ...(options.log ? { log: options.log } : {}) });
}
