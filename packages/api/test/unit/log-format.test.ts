// Readable lines at a developer's terminal; JSON lines in production and
// into pipes and files; LOG_FORMAT decides outright.
import { Writable } from 'node:stream';
import { createLogger } from '../../src/logging/logger';
import { LogFormatError, logFormat, prettyDestination } from '../../src/logging/log-format';

describe('log format', () => {
  it('pretty only at a terminal outside production, unless LOG_FORMAT says', () => {
    expect(logFormat({}, true)).toBe('pretty');
    expect(logFormat({}, false)).toBe('json');
    expect(logFormat({ NODE_ENV: 'production' }, true)).toBe('json');
    expect(logFormat({ LOG_FORMAT: 'json' }, true)).toBe('json');
    expect(logFormat({ LOG_FORMAT: 'Pretty', NODE_ENV: 'production' }, false)).toBe('pretty');
    expect(() => logFormat({ LOG_FORMAT: 'xml' }, true)).toThrow(LogFormatError);
  });

  it("pretty lines are pino-pretty's, redacted like JSON ones", () => {
    const lines: string[] = [];
    const pretty = prettyDestination(
      false,
      new Writable({
        write(chunk, _e, done) {
          lines.push(String(chunk));
          done();
        },
      }),
    );
    const log = createLogger('info', pretty);
    log.info({ customerEmail: 'ada@example.com', attempt: 2 }, 'ticket-api ready at http://127.0.0.1:4000/graphql');
    const text = lines.join('');
    expect(text).toMatch(/INFO.*ticket-api ready at http:\/\/127\.0\.0\.1:4000\/graphql/);
    expect(text).not.toContain('ada@example.com');
    expect(() => JSON.parse(text.trim())).toThrow();
  });
});
