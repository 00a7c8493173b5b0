import { LogChannel } from './channels/log-channel.ts';
import type { NotificationChannel } from './channels/notification-channel.ts';
import { WebhookChannel } from './channels/webhook-channel.ts';

/** The notification service's settings (validated by the platform's configuration schema, handed in by the composition). */
export interface NotificationConfig {
  /** NOTIFICATION_WEBHOOK_URL: POST every notification there (takes precedence over the log). */
  webhookUrl: string | null;
  /** NOTIFICATION_LOG_FILE: append a JSON line per notification to this file (else the process log). */
  logFile: string | null;
}

/** The channel a configuration asks for: the webhook if a URL is set, else the log (file or `log`). */
export function channelFor(config: NotificationConfig, options: { log?: (line: string) => void } = {}): NotificationChannel {
  if (config.webhookUrl !== null) return new WebhookChannel({ url: config.webhookUrl });
  return new LogChannel({ filePath: config.logFile, ...(options.log ? { log: options.log } : {}) });
}
