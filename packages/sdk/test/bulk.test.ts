// The SDK's bulk operations against a live API: a job started and followed
// to its end (typed), and a bad request refused naming the field.
import { createClient, ValidationError, type TicketClient } from '../src';
import { AGENT_TOKEN, startTestApi, type TestApi } from '../../api/test/support/api';

let api: TestApi;
let agent: TicketClient;
beforeAll(async () => {
  api = await startTestApi('sdk_bulk');
  await api.reset();
  agent = createClient({ url: api.url, token: AGENT_TOKEN });
});
afterAll(async () => {
  await api.stop();
});

it('starts a bulk change and follows it to its end; refuses an empty change naming the field', async () => {
  const numbers: string[] = [];
  for (let i = 0; i < 3; i++)
    numbers.push(
      (
        await createClient({ url: api.url }).createTicket({
          customerEmail: 'bulk@example.com',
          subject: 'Printer',
          description: 'Jammed.',
        })
      ).ticketNumber,
    );
  const job = await agent.startBulkChange({
    ticketNumbers: numbers,
    change: { priority: 'URGENT', addTags: ['floor-3'] },
  });
  expect(job).toMatchObject({ total: 3, failed: 0, failures: [] });
  let now = job;
  for (const end = Date.now() + 60_000; now.state !== 'DONE' && Date.now() < end;) {
    await new Promise((r) => setTimeout(r, 100));
    now = (await agent.bulkJob({ id: job.id }))!;
  }
  expect(now).toMatchObject({ state: 'DONE', total: 3, done: 3, changed: 3, failed: 0 });
  expect(typeof now.finishedAt).toBe('string');
  const t = await agent.ticket({ ticketNumber: numbers[1] });
  expect(t?.priority).toBe('URGENT');

  const err = await agent.startBulkChange({ ticketNumbers: numbers, change: {} }).catch((e) => e);
  expect(err).toBeInstanceOf(ValidationError);
  expect((err as ValidationError).fields.map((f) => f.field)).toEqual(['change']);
  expect(await agent.bulkJob({ id: 'nope' })).toBeNull();
});
