// One example per operation, rendered into docs/api.md by api-reference.ts
// (a copy-paste curl and the SDK call) and run, in this order, against a
// test API by test/e2e/api-examples.test.ts: a fresh database, where the
// first createTicket makes TKT-00001. An operation on a thing an example
// cannot know the id of names one that does not exist, and says which
// code that answers.

export interface OperationExample {
  /** The GraphQL document (one operation). */
  query: string;
  variables?: Record<string, unknown>;
  /** Sent with `Authorization: Bearer $TOKEN`. */
  token?: boolean;
  /** The SDK call (`client` from createClient), or null when the SDK has none. */
  sdk: string | null;
  /** The code this example answers with on purpose (an id nobody has). */
  expectCode?: string;
}

const TICKET = 'TKT-00001';
const EMAIL = 'ada@example.com';
/** An id of the right shape that no webhook has. */
const SOME_WEBHOOK = '6750a1b2c3d4e5f601234567';

export const EXAMPLES: Record<string, OperationExample> = {
  createTicket: {
    query:
      'mutation CreateTicket($input: CreateTicketInput!) { createTicket(input: $input) { ticketNumber status createdAt } }',
    variables: {
      input: {
        customerEmail: EMAIL,
        customerName: 'Ada Lovelace',
        subject: 'Printer on floor 3 is jammed',
        description: 'It shows error E-42 since this morning.',
      },
    },
    sdk: `await client.createTicket({ customerEmail: '${EMAIL}', customerName: 'Ada Lovelace', subject: 'Printer on floor 3 is jammed', description: 'It shows error E-42 since this morning.' })`,
  },
  trackTicket: {
    query:
      'query TrackTicket($ticketNumber: String!, $email: String!) { trackTicket(ticketNumber: $ticketNumber, email: $email) { ticketNumber status timeline { kind at message } } }',
    variables: { ticketNumber: TICKET, email: EMAIL },
    sdk: `await client.trackTicket({ ticketNumber: '${TICKET}', email: '${EMAIL}' })`,
  },
  ticketTimeline: {
    query:
      'query TicketTimeline($ticketNumber: String!, $email: String!) { ticketTimeline(ticketNumber: $ticketNumber, email: $email) { kind at message } }',
    variables: { ticketNumber: TICKET, email: EMAIL },
    sdk: `await client.ticketTimeline({ ticketNumber: '${TICKET}', email: '${EMAIL}' })`,
  },
  ticketUpdated: {
    query:
      'subscription TicketUpdated($ticketNumber: String!, $email: String!) { ticketUpdated(ticketNumber: $ticketNumber, email: $email) { ticketNumber status updatedAt } }',
    variables: { ticketNumber: TICKET, email: EMAIL },
    sdk: `const stop = client.subscribeToTicket({ ticketNumber: '${TICKET}', email: '${EMAIL}' }, { next: (ticket) => console.log(ticket.status) })`,
  },
  createUpload: {
    query:
      'mutation CreateUpload($filename: String!, $contentType: String!, $size: Int!) { createUpload(filename: $filename, contentType: $contentType, size: $size) { attachmentId uploadUrl expiresAt maxBytes } }',
    variables: { filename: 'screenshot.png', contentType: 'image/png', size: 48213 },
    sdk: `const attachmentId = await client.uploadAttachment(file) // createUpload, then the PUT of the bytes`,
  },
  respondToTicket: {
    query:
      'mutation RespondToTicket($ticketNumber: String!, $message: String!) { respondToTicket(ticketNumber: $ticketNumber, message: $message) { ticketNumber status firstResponseAt } }',
    variables: { ticketNumber: TICKET, message: 'We are on our way with a new drum.' },
    token: true,
    sdk: `await client.respondToTicket({ ticketNumber: '${TICKET}', message: 'We are on our way with a new drum.' })`,
  },
  addInternalNote: {
    query:
      'mutation AddInternalNote($ticketNumber: String!, $message: String!) { addInternalNote(ticketNumber: $ticketNumber, message: $message) { ticketNumber } }',
    variables: { ticketNumber: TICKET, message: 'Same printer as last week.' },
    token: true,
    sdk: `await client.addInternalNote({ ticketNumber: '${TICKET}', message: 'Same printer as last week.' })`,
  },
  assignTicket: {
    query:
      'mutation AssignTicket($ticketNumber: String!, $assignee: String) { assignTicket(ticketNumber: $ticketNumber, assignee: $assignee) { ticketNumber assignee } }',
    variables: { ticketNumber: TICKET, assignee: 'grace' },
    token: true,
    sdk: `await client.assignTicket({ ticketNumber: '${TICKET}', assignee: 'grace' })`,
  },
  updateTicketStatus: {
    query:
      'mutation UpdateTicketStatus($ticketNumber: String!, $status: TicketStatus!) { updateTicketStatus(ticketNumber: $ticketNumber, status: $status) { ticketNumber status } }',
    variables: { ticketNumber: TICKET, status: 'IN_PROGRESS' },
    token: true,
    sdk: `await client.updateTicketStatus({ ticketNumber: '${TICKET}', status: 'IN_PROGRESS' })`,
  },
  resolveTicket: {
    query:
      'mutation ResolveTicket($ticketNumber: String!, $resolutionNotes: String!) { resolveTicket(ticketNumber: $ticketNumber, resolutionNotes: $resolutionNotes) { ticketNumber status resolvedAt } }',
    variables: { ticketNumber: TICKET, resolutionNotes: 'Replaced the drum.' },
    token: true,
    sdk: `await client.resolveTicket({ ticketNumber: '${TICKET}', resolutionNotes: 'Replaced the drum.' })`,
  },
  ticket: {
    query:
      'query Ticket($ticketNumber: String!) { ticket(ticketNumber: $ticketNumber) { ticketNumber status assignee timeline { kind actor visibility } } }',
    variables: { ticketNumber: TICKET },
    token: true,
    sdk: `await client.ticket({ ticketNumber: '${TICKET}' })`,
  },
  tickets: {
    query:
      'query Tickets($filter: TicketFilter, $first: Int) { tickets(filter: $filter, first: $first) { totalCount edges { node { ticketNumber status } } pageInfo { hasNextPage endCursor } } }',
    variables: { filter: { status: ['RESOLVED'] }, first: 10 },
    token: true,
    sdk: `for await (const ticket of client.listTickets({ filter: { status: ['RESOLVED'] } }).items()) console.log(ticket.ticketNumber)`,
  },
  ticketChanges: {
    query:
      'query TicketChanges($after: String, $first: Int) { ticketChanges(after: $after, first: $first) { changes { cursor event { kind at } ticket { ticketNumber status } } endCursor hasMore } }',
    variables: { after: null, first: 50 },
    token: true,
    sdk: `await client.ticketChanges({ after: null, first: 50 }) // then pass endCursor back as after`,
  },
  ticketChanged: {
    query: 'subscription TicketChanged { ticketChanged { cursor event { kind at } ticket { ticketNumber status } } }',
    token: true,
    sdk: `const stop = client.subscribeToChanges({ next: (change) => console.log(change.event.kind, change.ticket.ticketNumber) })`,
  },
  node: {
    query: 'query Node($id: ID!) { node(id: $id) { id ... on Ticket { ticketNumber status } } }',
    variables: { id: 'VGlja2V0OjY3NTBhMWIyYzNkNGU1ZjYwMTIzNDU2Nw' },
    token: true,
    sdk: null,
  },
  createWebhook: {
    query:
      'mutation CreateWebhook($url: String!, $kinds: [TimelineEventKind!]) { createWebhook(url: $url, kinds: $kinds) { webhook { id url kinds enabled } secret } }',
    variables: { url: 'https://hooks.example.com/tickets', kinds: ['CREATED', 'RESOLVED'] },
    token: true,
    sdk: `const { webhook, secret } = await client.createWebhook({ url: 'https://hooks.example.com/tickets', kinds: ['CREATED', 'RESOLVED'] })`,
  },
  webhooks: {
    query: 'query Webhooks { webhooks { id url kinds enabled lastError } }',
    token: true,
    sdk: `await client.webhooks()`,
  },
  webhookDeliveries: {
    query:
      'query WebhookDeliveries($webhookId: ID!, $first: Int) { webhookDeliveries(webhookId: $webhookId, first: $first) { eventId kind status attempts responseStatus } }',
    variables: { webhookId: SOME_WEBHOOK, first: 20 },
    token: true,
    sdk: `await client.webhookDeliveries({ webhookId: webhook.id, first: 20 })`,
    expectCode: 'NOT_FOUND',
  },
  updateWebhook: {
    query:
      'mutation UpdateWebhook($id: ID!, $enabled: Boolean) { updateWebhook(id: $id, enabled: $enabled) { id enabled } }',
    variables: { id: SOME_WEBHOOK, enabled: true },
    token: true,
    sdk: `await client.updateWebhook({ id: webhook.id, enabled: true })`,
    expectCode: 'NOT_FOUND',
  },
  replayWebhook: {
    query: 'mutation ReplayWebhook($id: ID!, $after: String) { replayWebhook(id: $id, after: $after) { id enabled } }',
    variables: { id: SOME_WEBHOOK, after: null },
    token: true,
    sdk: `await client.replayWebhook({ id: webhook.id, after: null })`,
    expectCode: 'NOT_FOUND',
  },
  deleteWebhook: {
    query: 'mutation DeleteWebhook($id: ID!) { deleteWebhook(id: $id) }',
    variables: { id: SOME_WEBHOOK },
    token: true,
    sdk: `await client.deleteWebhook({ id: webhook.id })`,
    expectCode: 'NOT_FOUND',
  },
  rateLimit: {
    query: 'query RateLimit { rateLimit { budget cost limit remaining resetAt } }',
    sdk: null,
  },
  searchTickets: {
    query:
      'query SearchTickets($query: String!) { searchTickets(query: $query, first: 10) { edges { node { ticketNumber subject status } } pageInfo { hasNextPage endCursor } } }',
    variables: { query: 'printer jam' },
    token: true,
    sdk: null,
  },
  defineCustomField: {
    query:
      'mutation DefineCustomField($input: CustomFieldInput!) { defineCustomField(input: $input) { key label type choices } }',
    variables: { input: { key: 'plan', label: 'Plan', type: 'CHOICE', choices: ['free', 'pro'] } },
    token: true,
    sdk: null,
  },
  customFields: {
    query: 'query CustomFields { customFields { key label type choices } }',
    token: true,
    sdk: null,
  },
  updateTicketFields: {
    query:
      'mutation UpdateTicketFields($ticketNumber: String!, $tags: [String!], $fields: [CustomFieldValueInput!]) { updateTicketFields(ticketNumber: $ticketNumber, tags: $tags, fields: $fields) { ticketNumber tags fields { key value } } }',
    variables: { ticketNumber: TICKET, tags: ['printer', 'floor-3'], fields: [{ key: 'plan', value: 'pro' }] },
    token: true,
    sdk: null,
  },
  saveView: {
    query: 'mutation SaveView($input: TicketViewInput!) { saveView(input: $input) { id name query count } }',
    variables: {
      input: {
        name: 'Open printer tickets',
        query: 'printer',
        filter: { status: ['OPEN', 'IN_PROGRESS'] },
        order: 'UPDATED_DESC',
      },
    },
    token: true,
    sdk: null,
  },
  views: {
    query: 'query Views { views { id name shared query count } }',
    token: true,
    sdk: null,
  },
  deleteView: {
    query: 'mutation DeleteView($id: ID!) { deleteView(id: $id) }',
    variables: { id: SOME_WEBHOOK },
    token: true,
    sdk: null,
  },
  startBulkChange: {
    query:
      'mutation StartBulkChange($ticketNumbers: [String!], $change: BulkChangeInput!) { startBulkChange(ticketNumbers: $ticketNumbers, change: $change) { id state total done } }',
    variables: { ticketNumbers: [TICKET], change: { assignee: 'kim', priority: 'HIGH', addTags: ['printer'] } },
    token: true,
    sdk: `await client.startBulkChange({ ticketNumbers: ['${TICKET}'], change: { assignee: 'kim', priority: 'HIGH', addTags: ['printer'] } })`,
  },
  bulkJob: {
    // The id comes from startBulkChange's answer; this one is nobody's (null).
    query:
      'query BulkJob($id: ID!) { bulkJob(id: $id) { state total done changed failed failures { ticketNumber code message } finishedAt } }',
    variables: { id: SOME_WEBHOOK },
    token: true,
    sdk: `await client.bulkJob({ id: job.id })`,
  },
  saveReply: {
    query: 'mutation SaveReply($input: SavedReplyInput!) { saveReply(input: $input) { id name body } }',
    variables: {
      input: {
        name: 'Printer restart',
        body: 'Please switch the printer off and on again, then tell us what it shows.',
      },
    },
    token: true,
    sdk: null,
  },
  savedReplies: {
    query: 'query SavedReplies { savedReplies { id name body } }',
    token: true,
    sdk: null,
  },
  deleteReply: {
    query: 'mutation DeleteReply($id: ID!) { deleteReply(id: $id) }',
    variables: { id: SOME_WEBHOOK },
    token: true,
    sdk: null,
  },
  setSlaPolicies: {
    query:
      'mutation SetSlaPolicies($policies: [SlaPolicyInput!]!) { setSlaPolicies(policies: $policies) { id name priorities firstResponseMinutes resolutionMinutes timeZone businessHours { day opens closes } } }',
    variables: {
      policies: [
        {
          name: 'Office hours',
          priorities: ['NORMAL', 'HIGH', 'URGENT'],
          firstResponseMinutes: 120,
          resolutionMinutes: 2880,
          timeZone: 'Europe/Berlin',
          businessHours: [1, 2, 3, 4, 5].map((day) => ({ day, opens: '09:00', closes: '17:00' })),
        },
      ],
    },
    token: true,
    sdk: `await client.setSlaPolicies({ policies: [{ name: 'Office hours', priorities: ['NORMAL', 'HIGH', 'URGENT'], firstResponseMinutes: 120, resolutionMinutes: 2880, timeZone: 'Europe/Berlin', businessHours: [{ day: 1, opens: '09:00', closes: '17:00' }] }] })`,
  },
  slaPolicies: {
    query: 'query SlaPolicies { slaPolicies { id name priorities firstResponseMinutes resolutionMinutes timeZone } }',
    token: true,
    sdk: 'await client.slaPolicies()',
  },
  chatLinkValid: {
    query:
      'query ChatLinkValid($chatId: String!, $chatSignature: String!) { chatLinkValid(chatId: $chatId, chatSignature: $chatSignature) }',
    variables: { chatId: 'chat-8421', chatSignature: '0'.repeat(64) },
    sdk: `await client.chatLinkValid({ chatId: 'chat-8421', chatSignature: signatureFromYourChatBackend })`,
  },
  replyAsCustomer: {
    // The key comes from createTicket's answer (customerKey) or the emailed link; this one is nobody's.
    query:
      'mutation ReplyAsCustomer($ticketNumber: String!, $key: String!, $message: String!) { replyAsCustomer(ticketNumber: $ticketNumber, key: $key, message: $message) { ticketNumber status } }',
    variables: {
      ticketNumber: TICKET,
      key: 'the-customerKey-createTicket-answered-with',
      message: 'It jams again since this morning.',
    },
    sdk: `await client.replyAsCustomer({ ticketNumber: '${TICKET}', key: customerKey, message: 'It jams again since this morning.' })`,
    expectCode: 'NOT_FOUND',
  },
  customerData: {
    query:
      'query CustomerData($email: String!) { customerData(email: $email) { email tickets { ticketNumber status } } }',
    variables: { email: EMAIL },
    token: true,
    sdk: `await client.customerData({ email: '${EMAIL}' })`,
  },
  eraseCustomer: {
    query: 'mutation EraseCustomer($email: String!) { eraseCustomer(email: $email) { tickets events attachments } }',
    variables: { email: EMAIL },
    token: true,
    sdk: `await client.eraseCustomer({ email: '${EMAIL}' })`,
  },
};

/** The curl of an example: the body as JSON in single quotes (a quote inside closes, escapes and reopens). */
export function curlOf(example: OperationExample, url = 'http://127.0.0.1:4000/graphql'): string {
  const body = JSON.stringify({ query: example.query, ...(example.variables ? { variables: example.variables } : {}) });
  return [
    `curl -sS ${url}`,
    `-H 'content-type: application/json'`,
    ...(example.token ? [`-H "authorization: Bearer $TOKEN"`] : []),
    `--data '${body.replace(/'/g, `'\\''`)}'`,
  ].join(' \\\n  ');
}
