// Saved replies: settings:manage keeps them, tickets:read reads them.
import { TokenService } from '../../src/tokens/token.service';
import { agent, codeOf, startTestApi, type TestApi } from '../support/api';

const SAVE = `mutation($i: SavedReplyInput!) { saveReply(input: $i) { id name body } }`;

let api: TestApi;
let admin: Record<string, string>;
beforeAll(async () => {
  api = await startTestApi('replies');
  admin = { authorization: `Bearer ${(await new TokenService([]).create('lead', ['settings:manage'])).token}` };
});
afterAll(async () => {
  await api.stop();
});

it('keeps, replaces, lists and deletes saved replies under their scopes', async () => {
  expect(codeOf(await api.gql(SAVE, { i: { name: 'Hi', body: 'Hello' } }, agent))).toBe('FORBIDDEN');
  const bad = await api.gql<any>(SAVE, { i: { name: ' ', body: '' } }, admin);
  expect(bad.body.errors![0].extensions.fields.map((f: { field: string }) => f.field)).toEqual([
    'input.name',
    'input.body',
  ]);
  const saved = (await api.gql<any>(SAVE, { i: { name: 'Toner', body: 'Please replace the toner cartridge.' } }, admin))
    .body.data.saveReply;
  await api.gql(SAVE, { i: { name: 'Apology', body: 'Sorry for the wait.' } }, admin);
  expect(
    (await api.gql<any>(SAVE, { i: { id: saved.id, name: 'Toner', body: 'Replace the toner, then restart.' } }, admin))
      .body.data.saveReply.body,
  ).toBe('Replace the toner, then restart.');
  const listed = await api.gql<any>('{ savedReplies { name body } }', {}, agent);
  expect(listed.body.data.savedReplies).toEqual([
    { name: 'Apology', body: 'Sorry for the wait.' },
    { name: 'Toner', body: 'Replace the toner, then restart.' },
  ]);
  expect(codeOf(await api.gql('{ savedReplies { name } }', {}, admin))).toBe('FORBIDDEN');
  expect(
    (await api.gql<any>('mutation($id: ID!) { deleteReply(id: $id) }', { id: saved.id }, admin)).body.data.deleteReply,
  ).toBe(true);
  expect((await api.gql<any>('{ savedReplies { name } }', {}, agent)).body.data.savedReplies).toEqual([
    { name: 'Apology' },
  ]);
});
