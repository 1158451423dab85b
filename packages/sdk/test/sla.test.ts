// The SDK's service-level operations against a live API: policies set and
// read (typed), field-named refusals, and deadlines on tickets.
import mongoose from 'mongoose';
import { createClient, ValidationError, type TicketClient } from '../src';
import { TokenService } from '../../api/src/tokens/token.service';
import { AGENT_TOKEN, startTestApi, type TestApi } from '../../api/test/support/api';

let api: TestApi;
let agent: TicketClient;
let admin: TicketClient;
beforeAll(async () => {
  api = await startTestApi('sdk_sla', { SLA_CHECK_SECONDS: '1' });
  await api.reset();
  for (const name of ['sla_policies', 'ticket_sla', 'sla_meta'])
    await mongoose.connection.db!.collection(name).deleteMany({});
  agent = createClient({ url: api.url, token: AGENT_TOKEN });
  const { token } = await new TokenService([]).create('sdk-sla-admin', ['settings:manage', 'tickets:read']);
  admin = createClient({ url: api.url, token });
});
afterAll(async () => {
  await api.stop();
});

it('sets and reads policies; refuses a bad time zone naming the field; tickets carry their deadlines', async () => {
  const err = await admin
    .setSlaPolicies({ policies: [{ name: 'x', priorities: ['HIGH'], timeZone: 'Nowhere/Land' }] })
    .catch((e) => e);
  expect(err).toBeInstanceOf(ValidationError);
  expect((err as ValidationError).fields.map((f) => f.field)).toEqual(['policies[0].timeZone']);
  const set = await admin.setSlaPolicies({
    policies: [
      {
        name: 'High',
        priorities: ['HIGH'],
        firstResponseMinutes: 30,
        timeZone: 'Europe/Berlin',
        businessHours: [{ day: 1, opens: '09:00', closes: '17:00' }],
      },
    ],
  });
  expect(set[0]).toMatchObject({
    name: 'High',
    businessHours: [{ day: 1, opens: '09:00', closes: '17:00' }],
    holidays: [],
  });
  expect((await agent.slaPolicies()).map((p) => p.name)).toEqual(['High']);

  const t = await createClient({ url: api.url }).createTicket({
    customerEmail: 'sla@example.com',
    subject: 'Down',
    description: 'All of it.',
    priority: 'HIGH',
  });
  const read = await agent.ticket({ ticketNumber: t.ticketNumber });
  expect(read!.sla).toMatchObject({ policy: 'High', breached: [], paused: false });
  expect(typeof read!.sla!.firstResponseDueAt).toBe('string');
  const page = await agent.tickets({ orderBy: 'DUE_ASC', first: 10 });
  expect(page.edges.map((e) => e.node.ticketNumber)).toContain(t.ticketNumber);
});
