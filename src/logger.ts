import pino, { type DestinationStream, type Logger } from 'pino';

/**
 * Structured JSON lines with pino. Paths that could hold a credential are redacted as a second line of
 * defence; the code already never passes secrets or signatures to the logger.
 */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: {
        paths: ['secret', 'secrets', '*.secret', 'signature', '*.signature', 'headers.authorization', 'req.headers.authorization'],
        censor: '[redacted]',
      },
    },
    destination,
  );
}
