// uploadAttachment from Node against a built API process (the sniffer,
// file-type, is an ES module that jest's module system cannot load in-process).
import { createHash } from 'node:crypto';
import {
  AttachmentRejectedError,
  createClient,
  isAttachmentRejectedError,
  TicketApiError,
  ValidationError,
  type TicketClient,
} from '../src';
import { AGENT_TOKEN } from '../../api/test/support/api';
import { jpeg, png } from '../../api/test/support/files';
import { serverBuilt, startServers, type ServerProcess } from '../../api/test/support/processes';

if (!serverBuilt) console.warn('skipped: SDK attachment tests need the build (npm test runs it first)');
const describeBuilt = serverBuilt ? describe : describe.skip;

const sha = (b: ArrayBuffer | Uint8Array) =>
  createHash('sha256')
    .update(new Uint8Array(b as ArrayBuffer))
    .digest('hex');

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected a rejection');
}

describeBuilt('SDK: uploadAttachment from Node', () => {
  let server: ServerProcess;
  let client: TicketClient;
  let agent: TicketClient;
  beforeAll(async () => {
    ({
      servers: [server],
    } = await startServers(1, 'sdk_attachments', { ATTACHMENT_MAX_BYTES: String(256 * 1024) }));
    client = createClient({ url: server.url });
    agent = createClient({ url: server.url, token: AGENT_TOKEN });
  });
  afterAll(async () => {
    expect(await server?.stop()).toBe(0);
  });

  it('a Buffer, a Uint8Array and a Blob: ids that createTicket and respondToTicket take; the bytes come back equal', async () => {
    const shot = png(64, 48, 2, true);
    const progress: [number, number][] = [];
    const first = await client.uploadAttachment(shot, {
      filename: 'screenshot.png',
      contentType: 'image/png',
      onProgress: (sent, total) => progress.push([sent, total]),
    });
    expect(progress.at(-1)).toEqual([shot.length, shot.length]);
    const second = await client.uploadAttachment(new Uint8Array(jpeg()), {
      filename: 'photo.jpg',
      contentType: 'image/jpeg',
    });
    const ticket = await client.createTicket({
      customerEmail: 'sdk@example.com',
      subject: 'Two pictures',
      description: 'See attached.',
      attachmentIds: [first, second],
    });
    const attachments = ticket.timeline[0].attachments;
    expect(attachments.map((a) => [a.id, a.filename, a.contentType, a.size])).toEqual([
      [first, 'screenshot.png', 'image/png', shot.length],
      [second, 'photo.jpg', 'image/jpeg', jpeg().length],
    ]);
    expect(sha(await (await fetch(attachments[0].url)).arrayBuffer())).toBe(sha(shot));

    const notes = new Blob(['Steps to reproduce:\n1. open\n2. crash\n'], { type: 'text/plain' });
    const third = await agent.uploadAttachment(notes, { filename: 'steps.txt' });
    const answered = await agent.respondToTicket({
      ticketNumber: ticket.ticketNumber,
      message: 'Thanks, see my notes.',
      attachmentIds: [third],
    });
    const [note] = answered.timeline.at(-1)!.attachments;
    expect(note).toMatchObject({ id: third, filename: 'steps.txt', contentType: 'text/plain', size: notes.size });
    expect(await (await fetch(note.url)).text()).toBe(await notes.text());
    const tracked = await client.trackTicket({ ticketNumber: ticket.ticketNumber, email: 'sdk@example.com' });
    expect(tracked!.timeline.flatMap((e) => e.attachments.map((a) => a.id))).toEqual([first, second, third]);
  });

  it('bytes that are not the declared type: AttachmentRejectedError (415, wrong_type)', async () => {
    const e = await rejection(client.uploadAttachment(png(), { filename: 'x.jpg', contentType: 'image/jpeg' }));
    expect(e).toBeInstanceOf(AttachmentRejectedError);
    expect(e).toBeInstanceOf(TicketApiError);
    expect(isAttachmentRejectedError(e)).toBe(true);
    expect(e).toMatchObject({ status: 415, reason: 'wrong_type', code: 'ATTACHMENT_REJECTED' });
  });

  it('a file over maxBytes is refused before any byte is sent: ValidationError on size', async () => {
    const e = await rejection(
      client.uploadAttachment(new Uint8Array(256 * 1024 + 1), { filename: 'big.png', contentType: 'image/png' }),
    );
    expect(e).toBeInstanceOf(ValidationError);
    expect((e as ValidationError).fields.map((f) => f.field)).toEqual(['size']);
  });

  it('an unknown id in attachmentIds: ValidationError on attachmentIds', async () => {
    const e = await rejection(
      client.createTicket({
        customerEmail: 'sdk@example.com',
        subject: 'x',
        description: 'y',
        attachmentIds: ['0123456789abcdef01234567'],
      }),
    );
    expect(e).toBeInstanceOf(ValidationError);
    expect((e as ValidationError).fields.map((f) => f.field)).toEqual(['attachmentIds']);
  });

  it('without filename or contentType for a Buffer: a TypeError before any request', async () => {
    await expect(client.uploadAttachment(png(), {})).rejects.toThrow(TypeError);
  });
});
