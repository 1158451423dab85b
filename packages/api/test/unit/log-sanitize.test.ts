// What reaches the log from an error: bounded and redacted at every depth.
// A driver error can carry the document it failed on (duplicate-key values,
// write errors, the server's reply); none of that may be written.
import { Writable } from 'node:stream';
import { createLogger, redactText, sanitize } from '../../src/logging/logger';

function driverError(depth: number): Error {
  const err = new Error(
    `E11000 duplicate key error collection: tickets index: customerEmail_1 dup key: { customerEmail: "ada@example.com" } level ${depth}`,
  ) as Error & Record<string, unknown>;
  err.name = 'MongoServerError';
  err.code = 11000;
  err.keyValue = { customerEmail: 'ada@example.com' };
  err.errorResponse = {
    errmsg: 'dup',
    op: { description: 'my card number is 4111', customerEmail: 'ada@example.com' },
  };
  err.writeErrors = [{ op: { subject: 'private' } }];
  if (depth > 0) err.cause = driverError(depth - 1);
  return err;
}

describe('log sanitizing', () => {
  it('keeps name, code and a masked message, and drops the documents, at every depth', () => {
    const out = JSON.stringify(
      sanitize({
        err: driverError(3),
        nested: { deeper: { token: 'tkt_secret', customerEmail: 'bob@example.com', note: 'mail bob@example.com' } },
      }),
    );
    expect(out).not.toMatch(/ada@example\.com|bob@example\.com|4111|private|tkt_secret/);
    expect(out).toContain('MongoServerError');
    expect(out).toContain('11000');
    expect(out).toContain('b***@example.com');
  });

  it('bounds strings, lists, keys and nesting', () => {
    const wide = Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`k${i}`, i]));
    let deep: Record<string, unknown> = { end: true };
    for (let i = 0; i < 50; i++) deep = { next: deep };
    const out = JSON.stringify(
      sanitize({ long: 'x'.repeat(100_000), list: Array.from({ length: 1_000 }, (_, i) => i), wide, deep }),
    );
    expect(out.length).toBeLessThan(2_000);
    expect(redactText('y'.repeat(10_000)).length).toBeLessThan(600);
  });

  it('is what the logger writes', () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const log = createLogger('info', sink);
    log.error({ err: driverError(2), requestId: 'r1' }, 'unexpected error');
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toMatch(/ada@example\.com|4111/);
    expect(JSON.parse(lines[0])).toMatchObject({ requestId: 'r1', err: { name: 'MongoServerError', code: 11000 } });
  });
});
