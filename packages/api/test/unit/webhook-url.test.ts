// The webhook URL guard and payload, as pure functions.
import mongoose from 'mongoose';
import { checkWebhookUrl, guardedLookup, isPublicAddress, urlShapeProblems } from '../../src/webhooks/webhook-url';
import { webhookPayload } from '../../src/webhooks/payload';

describe('webhook addresses', () => {
  it.each([
    '127.0.0.1',
    '127.0.0.2',
    '10.1.2.3',
    '172.16.0.1',
    '192.168.1.1',
    '169.254.169.254',
    '0.0.0.0',
    '::1',
    '::',
    'fe80::1',
    'fd00::1',
    '::ffff:127.0.0.1',
    '::ffff:10.0.0.1',
    '100.64.0.1',
    '224.0.0.1',
    'not-an-ip',
  ])('refuses %s', (ip) => {
    expect(isPublicAddress(ip)).toBe(false);
  });
  it.each(['93.184.216.34', '8.8.8.8', '2606:4700:4700::1111', '::ffff:8.8.8.8'])('allows %s', (ip) => {
    expect(isPublicAddress(ip)).toBe(true);
  });
  it('checks the shape: scheme, credentials, length', () => {
    expect(urlShapeProblems('https://hooks.example.com/x')).toEqual([]);
    expect(urlShapeProblems('ftp://hooks.example.com/x')[0].message).toMatch(/http or https/);
    expect(urlShapeProblems('https://a:b@hooks.example.com/x')[0].message).toMatch(/user or password/);
    expect(urlShapeProblems(`https://hooks.example.com/${'a'.repeat(2030)}`)[0].message).toMatch(/2048/);
    expect(urlShapeProblems('/relative')[0].message).toMatch(/not a URL/);
  });
});

describe('webhook refusals say nothing of what a name resolved to', () => {
  it('at creation', async () => {
    const [problem] = await checkWebhookUrl('http://localhost:8080/hook', false);
    expect(problem.message).toMatch(/loopback, private/);
    expect(problem.message).not.toMatch(/127\.0\.0\.1|::1/);
  });
  it('at connect time', async () => {
    const err = await new Promise<Error | null>((resolve) => guardedLookup(false)('localhost', {}, (e) => resolve(e)));
    expect(err?.message).toMatch(/not resolve to a public address/);
    expect(err?.message).not.toMatch(/127\.0\.0\.1|::1/);
  });
});

describe('webhook payload', () => {
  it('carries the type, the event time, the ticket without its timeline (with its assignee) and the event (with its visibility)', () => {
    const at = new Date('2026-11-28T10:00:00Z');
    const _id = new mongoose.Types.ObjectId();
    const body = JSON.parse(
      webhookPayload(
        { _id, ticketId: _id, kind: 'FIRST_RESPONSE' as never, sequence: 2, at, message: 'hi', actor: 'bot' },
        {
          _id,
          id: String(_id),
          ticketNumber: 'TKT-00001',
          subject: 's',
          description: 'd',
          status: 'OPEN',
          priority: 'NORMAL',
          source: 'WEB',
          customerEmail: 'a@example.com',
          createdAt: at,
          updatedAt: at,
          timeline: [],
        } as never,
      ),
    );
    expect(body).toEqual({
      type: 'ticket.first_response',
      timestamp: '2026-11-28T10:00:00.000Z',
      data: {
        ticket: {
          id: String(_id),
          ticketNumber: 'TKT-00001',
          subject: 's',
          description: 'd',
          status: 'OPEN',
          priority: 'NORMAL',
          source: 'WEB',
          customerEmail: 'a@example.com',
          customerName: null,
          chatId: null,
          createdAt: '2026-11-28T10:00:00.000Z',
          updatedAt: '2026-11-28T10:00:00.000Z',
          firstResponseAt: null,
          resolvedAt: null,
          closedAt: null,
          resolutionNotes: null,
          assignee: null,
          tags: [],
          fields: [],
        },
        event: {
          id: String(_id),
          kind: 'FIRST_RESPONSE',
          sequence: 2,
          at: '2026-11-28T10:00:00.000Z',
          message: 'hi',
          actor: 'bot',
          visibility: 'PUBLIC',
          attachments: [],
        },
      },
    });
  });
});
