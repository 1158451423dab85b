// TICKET_PREFIX and TICKET_PAD reach the numbers of new tickets through the
// composition root (compose.ts hands the format to the ticket store), not
// through a module-level setting: a second API in the same process with
// the default format keeps its own.
import { startTestApi, type TestApi } from '../support/api';

const CREATE = `mutation($input: CreateTicketInput!) { createTicket(input: $input) { ticketNumber } }`;
const input = { customerEmail: 'pat@example.com', subject: 'Format', description: 'Which prefix do I get?' };

let help: TestApi;
let plain: TestApi;
beforeAll(async () => {
  help = await startTestApi('number_format', { TICKET_PREFIX: 'HELP', TICKET_PAD: '3' });
  plain = await startTestApi('number_format_default');
  await help.reset();
  await plain.reset();
});
afterAll(async () => {
  await plain?.stop();
  await help?.stop();
});

it("numbers each API's tickets in its own configured format", async () => {
  const a = await help.gql<any>(CREATE, { input });
  expect(a.body.errors).toBeUndefined();
  expect(a.body.data.createTicket.ticketNumber).toMatch(/^HELP-\d{3}$/);
  const b = await plain.gql<any>(CREATE, { input });
  expect(b.body.errors).toBeUndefined();
  expect(b.body.data.createTicket.ticketNumber).toMatch(/^TKT-\d{5}$/);
});
