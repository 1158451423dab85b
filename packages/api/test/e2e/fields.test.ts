// Tags and custom fields over the real stack: definitions (settings:manage),
// values of every type, wrong types and unknown keys named, tags folded and
// capped, one TAGGED event per change, filters, the webhook-shaped JSON.
import { TokenService } from '../../src/tokens/token.service';
import { ticketJson } from '../../src/tickets/ticket-json';
import { CREATE, agent, codeOf, startTestApi, ticketInput, type TestApi } from '../support/api';

const DEFINE = `mutation($i: CustomFieldInput!) { defineCustomField(input: $i) { key label type choices } }`;
const UPDATE = `mutation($n: String!, $tags: [String!], $fields: [CustomFieldValueInput!]) { updateTicketFields(ticketNumber: $n, tags: $tags, fields: $fields) { ticketNumber tags fields { key value } timeline { kind message visibility actor } } }`;
const LIST = `query($filter: TicketFilter) { tickets(filter: $filter, first: 50) { edges { node { ticketNumber tags } } } }`;

let api: TestApi;
let admin: Record<string, string>;
beforeAll(async () => {
  api = await startTestApi('fields');
  await api.reset();
  admin = {
    authorization: `Bearer ${(await new TokenService([]).create('admin', ['settings:manage', 'tickets:read'])).token}`,
  };
});
afterAll(async () => {
  await api.stop();
});

const create = async () =>
  (await api.gql<any>(CREATE, { input: ticketInput() })).body.data.createTicket.ticketNumber as string;
const fieldsOfError = (r: { body: { errors?: { extensions: Record<string, any> }[] } }) =>
  (r.body.errors?.[0]?.extensions.fields ?? []).map((f: { field: string }) => f.field).sort();

describe('custom fields and tags', () => {
  beforeAll(async () => {
    for (const i of [
      { key: 'plan', label: 'Plan', type: 'CHOICE', choices: ['free', 'pro'] },
      { key: 'seats', label: 'Seats', type: 'NUMBER' },
      { key: 'renewal', label: 'Renewal', type: 'DATE' },
      { key: 'vip', label: 'VIP', type: 'BOOLEAN' },
      { key: 'order_ref', label: 'Order', type: 'TEXT' },
    ])
      expect((await api.gql(DEFINE, { i }, admin)).body.errors).toBeUndefined();
  });

  it('defining needs settings:manage, and a well-formed definition', async () => {
    expect(codeOf(await api.gql(DEFINE, { i: { key: 'x', label: 'X', type: 'TEXT' } }, agent))).toBe('FORBIDDEN');
    const bad = await api.gql(DEFINE, { i: { key: 'Bad Key', label: '', type: 'TEXT', choices: ['a'] } }, admin);
    expect(fieldsOfError(bad)).toEqual(['input.choices', 'input.key', 'input.label']);
    expect(fieldsOfError(await api.gql(DEFINE, { i: { key: 'c', label: 'C', type: 'CHOICE' } }, admin))).toEqual([
      'input.choices',
    ]);
    const listed = await api.gql<any>('{ customFields { key type choices } }', {}, agent);
    expect(listed.body.data.customFields.map((f: { key: string }) => f.key)).toEqual([
      'order_ref',
      'plan',
      'renewal',
      'seats',
      'vip',
    ]);
  });

  it('stores a value of every type, spelt back as strings, with one TAGGED event', async () => {
    const n = await create();
    const r = await api.gql<any>(
      UPDATE,
      {
        n,
        tags: ['  Billing ', 'URGENT', 'billing'],
        fields: [
          { key: 'plan', value: 'pro' },
          { key: 'seats', value: '12' },
          { key: 'renewal', value: '2027-02-28' },
          { key: 'vip', value: 'true' },
          { key: 'order_ref', value: ' A-77 ' },
        ],
      },
      agent,
    );
    expect(r.body.errors).toBeUndefined();
    const t = r.body.data.updateTicketFields;
    expect(t.tags).toEqual(['billing', 'urgent']);
    expect(t.fields).toEqual([
      { key: 'order_ref', value: 'A-77' },
      { key: 'plan', value: 'pro' },
      { key: 'renewal', value: '2027-02-28' },
      { key: 'seats', value: '12' },
      { key: 'vip', value: 'true' },
    ]);
    const tagged = t.timeline.filter((e: { kind: string }) => e.kind === 'TAGGED');
    expect(tagged).toHaveLength(1);
    expect(tagged[0]).toMatchObject({ visibility: 'INTERNAL', actor: 'agent' });
    // The same again: no change, no event. Clearing one value: one more event, the others stay.
    const again = await api.gql<any>(
      UPDATE,
      { n, tags: ['billing', 'urgent'], fields: [{ key: 'seats', value: '12.0' }] },
      agent,
    );
    expect(
      again.body.data.updateTicketFields.timeline.filter((e: { kind: string }) => e.kind === 'TAGGED'),
    ).toHaveLength(1);
    const cleared = await api.gql<any>(UPDATE, { n, fields: [{ key: 'vip', value: null }] }, agent);
    expect(cleared.body.data.updateTicketFields.fields.map((f: { key: string }) => f.key)).toEqual([
      'order_ref',
      'plan',
      'renewal',
      'seats',
    ]);
    expect(cleared.body.data.updateTicketFields.tags).toEqual(['billing', 'urgent']);
    expect(
      cleared.body.data.updateTicketFields.timeline.filter((e: { kind: string }) => e.kind === 'TAGGED'),
    ).toHaveLength(2);
    // The public lookup never shows the TAGGED events.
    const tracked = await api.gql<any>(
      'query($n: String!, $e: String!) { trackTicket(ticketNumber: $n, email: $e) { timeline { kind } } }',
      {
        n,
        e: (await api.gql<any>('query($n: String!) { ticket(ticketNumber: $n) { customerEmail } }', { n }, agent)).body
          .data.ticket.customerEmail,
      },
    );
    expect(tracked.body.data.trackTicket.timeline.map((e: { kind: string }) => e.kind)).not.toContain('TAGGED');
  });

  it('refuses wrong types, unknown keys and too many tags, naming each field, and writes nothing', async () => {
    const n = await create();
    const r = await api.gql<any>(
      UPDATE,
      {
        n,
        tags: ['ok'],
        fields: [
          { key: 'plan', value: 'gold' },
          { key: 'seats', value: 'many' },
          { key: 'renewal', value: '2027-02-30' },
          { key: 'vip', value: 'yes' },
          { key: 'nope', value: '1' },
        ],
      },
      agent,
    );
    expect(codeOf(r)).toBe('BAD_USER_INPUT');
    expect(fieldsOfError(r)).toEqual(['fields.nope', 'fields.plan', 'fields.renewal', 'fields.seats', 'fields.vip']);
    const many = await api.gql<any>(UPDATE, { n, tags: Array.from({ length: 21 }, (_, i) => `t${i}`) }, agent);
    expect(fieldsOfError(many)).toEqual(['tags']);
    expect(fieldsOfError(await api.gql<any>(UPDATE, { n, tags: ['  '] }, agent))).toEqual(['tags[0]']);
    const after = await api.gql<any>(
      'query($n: String!) { ticket(ticketNumber: $n) { tags fields { key } timeline { kind } } }',
      { n },
      agent,
    );
    expect(after.body.data.ticket).toEqual({ tags: [], fields: [], timeline: [{ kind: 'CREATED' }] });
    expect(codeOf(await api.gql(UPDATE, { n, tags: ['x'] }))).toBe('UNAUTHENTICATED');
  });

  it('filters on every tag given and on field values', async () => {
    const a = await create();
    const b = await create();
    await api.gql(
      UPDATE,
      {
        n: a,
        tags: ['printer', 'floor-3'],
        fields: [
          { key: 'seats', value: '5' },
          { key: 'vip', value: 'true' },
        ],
      },
      agent,
    );
    await api.gql(UPDATE, { n: b, tags: ['printer'], fields: [{ key: 'seats', value: '7' }] }, agent);
    const list = async (filter: Record<string, unknown>) =>
      (
        (await api.gql<any>(LIST, { filter }, agent)).body.data.tickets.edges as { node: { ticketNumber: string } }[]
      ).map((e) => e.node.ticketNumber);
    expect(await list({ tags: ['PRINTER'] })).toEqual([b, a]);
    expect(await list({ tags: ['printer', 'floor-3'] })).toEqual([a]);
    expect(await list({ fields: [{ key: 'seats', value: '7' }] })).toEqual([b]);
    expect(await list({ tags: ['printer'], fields: [{ key: 'vip', value: 'true' }] })).toEqual([a]);
    expect(codeOf(await api.gql(LIST, { filter: { fields: [{ key: '$where', value: '1' }] } }, agent))).toBe(
      'BAD_USER_INPUT',
    );
  });

  it('goes out with the ticket in webhook payloads and the customer export', () => {
    const json = ticketJson({ id: 'x', tags: ['a'], fields: { seats: 3, vip: false } } as never);
    expect(json).toMatchObject({
      tags: ['a'],
      fields: [
        { key: 'seats', value: '3' },
        { key: 'vip', value: 'false' },
      ],
    });
  });
});
