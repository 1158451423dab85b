// How log lines look. JSON lines (one object each, for a log collector) in
// production and whenever the output is not a terminal (a file, a pipe, a
// container's log driver); at a developer's terminal, pino-pretty's readable
// lines. LOG_FORMAT=json|pretty decides it outright.
import type { DestinationStream } from 'pino';

export type LogFormat = 'json' | 'pretty';

export class LogFormatError extends Error {}

export function logFormat(env: NodeJS.ProcessEnv, isTTY: boolean): LogFormat {
  const chosen = env.LOG_FORMAT?.trim().toLowerCase();
  if (chosen === 'json' || chosen === 'pretty') return chosen;
  if (chosen) throw new LogFormatError(`LOG_FORMAT must be "json" or "pretty", got "${env.LOG_FORMAT}"`);
  return env.NODE_ENV !== 'production' && isTTY ? 'pretty' : 'json';
}

/**
 * pino-pretty as a synchronous stream in this thread (no worker), so the
 * last lines before an exit are written. Loaded only when chosen: a
 * production install may leave it out. Redaction happens before (logger.ts).
 */
export function prettyDestination(colorize: boolean, destination?: NodeJS.WritableStream): DestinationStream {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const pretty = require('pino-pretty') as typeof import('pino-pretty');
  return pretty.build({
    colorize,
    sync: true,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname,service',
    singleLine: true,
    ...(destination && { destination }),
  });
}
