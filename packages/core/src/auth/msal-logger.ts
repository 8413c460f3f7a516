import { LogLevel, type Configuration } from '@azure/msal-node';
import type { Logger } from '../logger.js';
import { redactText } from '../redact.js';

/**
 * msal-node's logger settings for every msal application core builds: warnings and errors only,
 * no PII, each message redacted and passed to the caller's logger at debug level.
 */
export function msalLoggerOptions(logger: Logger): NonNullable<NonNullable<Configuration['system']>['loggerOptions']> {
  return {
    piiLoggingEnabled: false,
    logLevel: LogLevel.Warning,
    loggerCallback: (level: LogLevel, message: string, containsPii: boolean) => {
      if (containsPii) return;
      logger.debug('msal-node', { level: LogLevel[level], message: redactText(message) });
    },
  };
}
