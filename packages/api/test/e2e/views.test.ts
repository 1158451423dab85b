// Saved views: one agent's own and shared ones (settings:manage), counts kept current, replace and delete.
import { TokenService } from '../../src/tokens/token.service';
import { CREATE, agent, codeOf, startTestApi, ticketInput, type TestApi } from '../support/api';

const SAVE = `mutation($i: TicketViewInput!) { saveView(input: $i) { id name shared query filter order count } }`;
const VIEWS = `{ views { id name shared query order count } }`;

let api: TestApi;
let admin: Record<string, string>;
let other: Record<string, string>;
beforeAll(async () => {
  api = await startTestApi('views', { SEARCH_INDEXING: 'on' });
  await api.reset();
  const tokens = new TokenService([]);
  admin = { authorization: `Bearer ${(await tokens.create('lead', ['tickets:read', 'settings:manage'])).token}` };
  other = { authorization: `Bearer ${(await tokens.create('other', ['tickets:read'])).token}` };
});
afterAll(async () => {
  await api.stop();
});

it('saves views for one agent or shared, counts them as they stand, replaces and deletes', async () => {
  for (const subject of ['Printer jam upstairs', 'Printer out of toner', 'Login broken'])
    await api.gql(CREATE, {
      input: ticketInput({ subject, priority: subject.startsWith('Login') ? 'HIGH' : 'NORMAL' }),
    });
  const mine = await api.gql<any>(
    SAVE,
    { i: { name: 'Printers', query: 'printer', filter: { status: ['OPEN'] } } },
    agent,
  );
  expect(mine.body.errors).toBeUndefined();
  expect(mine.body.data.saveView).toMatchObject({ name: 'Printers', shared: false, count: 2, order: 'CREATED_DESC' });
  expect(
    codeOf(await api.gql(SAVE, { i: { name: 'Urgent', filter: { priority: ['HIGH'] }, shared: true } }, agent)),
  ).toBe('FORBIDDEN');
  const shared = await api.gql<any>(
    SAVE,
    { i: { name: 'High', filter: { priority: ['HIGH'] }, order: 'UPDATED_DESC', shared: true } },
    admin,
  );
  expect(shared.body.data.saveView).toMatchObject({ shared: true, count: 1 });
  expect(codeOf(await api.gql(SAVE, { i: { name: ' ', filter: { status: [] } } }, agent))).toBe('BAD_USER_INPUT');

  const listed = async (who: Record<string, string>) =>
    (await api.gql<any>(VIEWS, {}, who)).body.data.views as { id: string; name: string; count: number }[];
  expect((await listed(agent)).map((v) => [v.name, v.count])).toEqual([
    ['High', 1],
    ['Printers', 2],
  ]);
  expect((await listed(other)).map((v) => v.name)).toEqual(['High']);
  // Kept current: a new matching ticket counts at once.
  await api.gql(CREATE, { input: ticketInput({ subject: 'Printer smoking' }) });
  expect((await listed(agent)).find((v) => v.name === 'Printers')!.count).toBe(3);

  // Only its keeper replaces or deletes a view.
  const id = mine.body.data.saveView.id;
  expect(codeOf(await api.gql(SAVE, { i: { id, name: 'Hijacked' } }, other))).toBe('NOT_FOUND');
  expect(
    (await api.gql<any>(SAVE, { i: { id, name: 'Toner', query: 'toner' } }, agent)).body.data.saveView,
  ).toMatchObject({ name: 'Toner', count: 1 });
  expect((await api.gql<any>('mutation($id: ID!) { deleteView(id: $id) }', { id }, other)).body.data.deleteView).toBe(
    false,
  );
  expect((await api.gql<any>('mutation($id: ID!) { deleteView(id: $id) }', { id }, agent)).body.data.deleteView).toBe(
    true,
  );
  expect((await listed(agent)).map((v) => v.name)).toEqual(['High']);
  expect(codeOf(await api.gql(VIEWS))).toBe('UNAUTHENTICATED');
});
