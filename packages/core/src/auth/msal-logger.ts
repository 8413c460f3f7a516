import type { Configuration, LogLevel } from '@azure/msal-node';
import type { Logger } from '../logger.js';
import { redactText } from '../redact.js';

/**
 * msal-node's logger settings for every msal application core builds: warnings and errors only,
 * no PII, each message redacted and passed to the caller's logger at debug level.
 */
export function msalLoggerOptions(logger: Logger): NonNullable<NonNullable<Configuration['system']>['loggerOptions']> {
  return {
    piiLoggingEnabled: false,
    logLevel: WARNING,
    loggerCallback: (level: LogLevel, message: string, containsPii: boolean) => {
      if (containsPii) return;
      logger.debug('msal-node', { level: LEVEL_NAMES[level] ?? String(level), message: redactText(message) });
    },
  };
}

// msal-node's LogLevel values (a const enum in spirit: the numbers are its public contract), kept
// here so that building logger options does not load msal-node.
const WARNING = 1 as LogLevel;
const LEVEL_NAMES: readonly string[] = ['Error', 'Warning', 'Info', 'Verbose', 'Trace'];
