// Structured logs (pino). Personal data (addresses, subjects) is logged only at debug/trace.
import pino from 'pino';
import { env } from './env';

export type Logger = pino.Logger;

export function createLogger(name: string): Logger {
  return pino({
    name,
    level: env().LOG_LEVEL,
    redact: { paths: ['password', '*.password', 'passwordHash', '*.passwordHash', 'passwordCiphertext'], censor: '[redacted]' },
  });
}
