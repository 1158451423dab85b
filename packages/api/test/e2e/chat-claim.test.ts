// Nobody can claim someone else's chat: a chatId on createTicket needs the
// chat backend's signature (CHAT_SIGNING_SECRET) or a token with
// tickets:write. Refusals are one answer, decided before the database is
// asked anything, so they never tell whether a chat already has a ticket.
import mongoose from 'mongoose';
import { ConfigError, loadConfig } from '../../src/config/config';
import { TokenService } from '../../src/tokens/token.service';
import {
  CHAT_SECRET,
  CREATE,
  agent,
  codeOf,
  engineUri,
  signedChat,
  startTestApi,
  ticketInput,
  type GqlResult,
  type TestApi,
} from '../support/api';
import { collectionOf, commandsOfRequests, monitoredUri } from '../support/commands';

const uri = monitoredUri(engineUri());

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi('chat_claim', {}, uri);
});
afterAll(async () => {
  await api.stop();
});
beforeEach(async () => {
  await api.reset();
});

const db = () => mongoose.connection.db!;
const create = (input: Record<string, unknown>, headers: Record<string, string> = {}, on = api) =>
  on.gql(CREATE, { input: ticketInput({ source: 'CHAT', ...input }) }, headers);
/** What a refusal looks like to the caller: everything but the (varying) data of the input. */
const answer = (r: GqlResult) => ({ status: r.status, body: r.body });

/** Every command the requests `fn` sends (with the headers it is given) start, as "insert tickets". */
async function commandsOf(fn: (headers: Record<string, string>) => Promise<unknown>): Promise<string[]> {
  return (await commandsOfRequests(fn)).map((e) => `${e.commandName} ${collectionOf(e)}`);
}

const FORBIDDEN = {
  code: 'FORBIDDEN',
  field: 'chatId',
  requiredScope: 'tickets:write',
};

describe('createTicket with a chatId', () => {
  it('without a token or signature: FORBIDDEN on chatId, nothing written, the database not asked', async () => {
    let r!: GqlResult;
    const commands = await commandsOf(async (headers) => {
      r = await create({ chatId: 'chat-1' }, headers);
    });
    expect(r.body.data).toBeNull();
    expect(r.body.errors).toHaveLength(1);
    expect(r.body.errors![0].extensions).toEqual(FORBIDDEN);
    expect(r.body.errors![0].message).toMatch(/chatSignature/);
    expect(commands).toEqual([]);
    expect(await db().collection('tickets').countDocuments()).toBe(0);
    // (The count is real: the same request, signed, does reach the database.)
    expect(await commandsOf((headers) => create(signedChat('chat-1'), headers))).toContain('insert tickets');
  });

  it("a wrong signature is the same refusal: another chat's, another key's, upper-case, cut short, empty", async () => {
    const right = signedChat('chat-2').chatSignature;
    const wrong = [
      signedChat('chat-3').chatSignature,
      signedChat('chat-2', CHAT_SECRET + 'x').chatSignature,
      right.toUpperCase(),
      right.slice(0, 63),
      '',
    ];
    const reference = answer(await create({ chatId: 'chat-2' }));
    for (const chatSignature of wrong)
      expect(answer(await create({ chatId: 'chat-2', chatSignature }))).toEqual(reference);
    expect(await db().collection('tickets').countDocuments()).toBe(0);
  });

  it('for a chat that already has a ticket the refusal is identical, and costs no database command either', async () => {
    const fresh = [
      answer(await create({ chatId: 'chat-new' })),
      answer(await create({ chatId: 'chat-new', chatSignature: signedChat('chat-other').chatSignature })),
    ];
    expect((await create(signedChat('chat-taken'))).body.errors).toBeUndefined();
    let taken: ReturnType<typeof answer>[] = [];
    const commands = await commandsOf(async (headers) => {
      taken = [
        answer(await create({ chatId: 'chat-taken' }, headers)),
        answer(await create({ chatId: 'chat-taken', chatSignature: signedChat('chat-other').chatSignature }, headers)),
      ];
    });
    expect(taken).toEqual(fresh);
    expect(commands).toEqual([]);
  });

  it('with the right signature: created; the same chat again is DUPLICATE_ENTRY on chatId (the caller is entitled to know)', async () => {
    const first = await create(signedChat('chat-4'));
    expect(first.body.errors).toBeUndefined();
    expect(first.body.data!.createTicket).toMatchObject({ chatId: 'chat-4', source: 'CHAT' });
    // Signed over the chat id as stored: trimmed.
    const again = await create({ ...signedChat('chat-4'), chatId: ' chat-4 ' });
    expect(again.body.errors![0].extensions).toEqual({ code: 'DUPLICATE_ENTRY', mongoCode: 11000, field: 'chatId' });
    // The signature is proof, not ticket data: not stored.
    expect(await db().collection('tickets').findOne({ chatId: 'chat-4' })).not.toHaveProperty('chatSignature');
    expect(await db().collection('tickets').countDocuments()).toBe(1);
  });

  it('with a token holding tickets:write: no signature needed; its duplicate is DUPLICATE_ENTRY too', async () => {
    const first = await create({ chatId: 'chat-5' }, agent);
    expect(first.body.errors).toBeUndefined();
    expect(first.body.data!.createTicket.chatId).toBe('chat-5');
    const again = await create({ chatId: 'chat-5' }, agent);
    expect(again.body.errors![0].extensions).toEqual({ code: 'DUPLICATE_ENTRY', mongoCode: 11000, field: 'chatId' });
    // A stranger asking about the same chat learns nothing.
    expect(codeOf(await create({ chatId: 'chat-5' }))).toBe('FORBIDDEN');
  });

  it('a token without tickets:write needs the signature like anyone else', async () => {
    const { token } = await new TokenService([]).create('reporting', ['tickets:read']);
    const reader = { authorization: `Bearer ${token}` };
    expect((await create({ chatId: 'chat-6' }, reader)).body.errors![0].extensions).toEqual(FORBIDDEN);
    expect((await create(signedChat('chat-6'), reader)).body.errors).toBeUndefined();
  });

  it('a chatSignature without a chatId changes nothing', async () => {
    const r = await create({ chatSignature: 'f'.repeat(64), source: 'WEB' });
    expect(r.body.errors).toBeUndefined();
    expect(r.body.data!.createTicket.chatId).toBeNull();
  });
});

describe('without CHAT_SIGNING_SECRET', () => {
  it('anonymous chatIds are refused whatever they carry; tokens with tickets:write still name chats', async () => {
    await api.stop();
    api = await startTestApi('chat_claim', { CHAT_SIGNING_SECRET: '' }, uri);
    await api.reset();
    for (const input of [
      { chatId: 'chat-7' },
      signedChat('chat-7'),
      { chatId: 'chat-7', chatSignature: signedChat('chat-7', '').chatSignature },
    ]) {
      expect((await create(input)).body.errors![0].extensions).toEqual(FORBIDDEN);
    }
    expect((await create({ chatId: 'chat-7' }, agent)).body.errors).toBeUndefined();
  });

  it('a CHAT_SIGNING_SECRET shorter than 32 characters does not start', () => {
    expect(() => loadConfig({ CHAT_SIGNING_SECRET: 'short-secret' })).toThrow(ConfigError);
    expect(loadConfig({ CHAT_SIGNING_SECRET: CHAT_SECRET }).chatSigningSecret).toBe(CHAT_SECRET);
    expect(loadConfig({}).chatSigningSecret).toBeUndefined();
  });
});
