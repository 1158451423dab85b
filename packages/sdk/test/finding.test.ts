// The SDK's finding and organising operations against a live API: search
// (a page shaped as a listing's), custom fields with a field-named refusal,
// tags on listed rows, views with counts, saved replies.
import { createClient, ValidationError, type TicketClient } from '../src';
import { TokenService } from '../../api/src/tokens/token.service';
import { AGENT_TOKEN, startTestApi, type TestApi } from '../../api/test/support/api';

let api: TestApi;
let agent: TicketClient;
let admin: Record<string, string>;
beforeAll(async () => {
  api = await startTestApi('sdk_finding', { SEARCH_INDEXING: 'on' });
  await api.reset();
  agent = createClient({ url: api.url, token: AGENT_TOKEN });
  admin = {
    authorization: `Bearer ${(await new TokenService([]).create('sdk-finding-admin', ['settings:manage'])).token}`,
  };
});
afterAll(async () => {
  await api.stop();
});

it('searches, edits tags and fields (a bad value names its field), keeps views with counts, reads saved replies', async () => {
  const jam = await agent.createTicket({ customerEmail: 'zoe@example.com', subject: 'Printer jams', description: 'x' });
  await agent.createTicket({ customerEmail: 'ada@example.com', subject: 'Login broken', description: 'y' });
  const found = await agent.searchTickets({ query: 'print', first: 5 });
  expect(found.edges.map((e) => e.node.ticketNumber)).toEqual([jam.ticketNumber]);
  expect(found.pageInfo.hasNextPage).toBe(false);

  const define = await api.gql(
    'mutation($i: CustomFieldInput!) { defineCustomField(input: $i) { key } }',
    { i: { key: 'seats', label: 'Seats', type: 'NUMBER' } },
    admin,
  );
  expect(define.body.errors).toBeUndefined();
  expect(await agent.customFields()).toEqual([{ key: 'seats', label: 'Seats', type: 'NUMBER', choices: null }]);
  const bad = await agent
    .updateTicketFields({ ticketNumber: jam.ticketNumber, fields: [{ key: 'seats', value: 'many' }] })
    .catch((e) => e);
  expect(bad).toBeInstanceOf(ValidationError);
  expect((bad as ValidationError).fields.map((f) => f.field)).toEqual(['fields.seats']);
  const updated = await agent.updateTicketFields({
    ticketNumber: jam.ticketNumber,
    tags: [' Hardware '],
    fields: [{ key: 'seats', value: '3' }],
  });
  expect(updated).toMatchObject({ tags: ['hardware'], fields: [{ key: 'seats', value: '3' }] });
  expect(updated.timeline.at(-1)?.kind).toBe('TAGGED');
  const rows = await agent.tickets({ filter: { tags: ['hardware'] } });
  expect(rows.edges.map((e) => [e.node.ticketNumber, e.node.tags])).toEqual([[jam.ticketNumber, ['hardware']]]);

  const view = await agent.saveView({ input: { name: 'Hardware', filter: { tags: ['hardware'] } } });
  expect(view).toMatchObject({ name: 'Hardware', shared: false, count: 1, query: null });
  expect(JSON.parse(view.filter!)).toMatchObject({ tags: ['hardware'] });
  expect((await agent.views()).map((v) => [v.name, v.count])).toEqual([['Hardware', 1]]);
  expect(await agent.deleteView({ id: view.id })).toBe(true);
  expect(await agent.views()).toEqual([]);

  expect(await agent.savedReplies()).toEqual([]);
  await api.gql(
    'mutation($i: SavedReplyInput!) { saveReply(input: $i) { id } }',
    { i: { name: 'Restart', body: 'Turn it off and on.' } },
    admin,
  );
  expect((await agent.savedReplies()).map((r) => [r.name, r.body])).toEqual([['Restart', 'Turn it off and on.']]);
});
