// Every capability, one line each: the composition root (compose.ts), the
// schema (schema.ts) and db/ (indexes, through MODELS) read this list.
// Adding a capability: its folder with an index.ts, a line here, and its
// wiring in compose.ts (docs/architecture.md, "Adding a capability").
import type { Capability } from './capability';
import { attachmentsCapability } from './attachments';
import { bulkCapability } from './bulk';
import { conversationCapability } from './conversation';
import { customersCapability } from './customers';
import type { IndexedModel } from './db/connection';
import { feedCapability } from './feed';
import { fieldsCapability } from './fields';
import { listingCapability } from './listing';
import { repliesCapability } from './replies';
import { searchCapability } from './search';
import { viewsCapability } from './views';
import { slaCapability } from './sla';
import { liveCapability } from './live';
import { ticketsCapability } from './tickets';
import { tokensCapability } from './tokens';
import { webhooksCapability } from './webhooks';

export const CAPABILITIES: readonly Capability[] = [
  ticketsCapability,
  tokensCapability,
  listingCapability,
  feedCapability,
  webhooksCapability,
  liveCapability,
  customersCapability,
  attachmentsCapability,
  conversationCapability,
  slaCapability,
  searchCapability,
  fieldsCapability,
  viewsCapability,
  repliesCapability,
  bulkCapability,
];

/** Every capability's models: their indexes are built at start. */
export const MODELS: readonly IndexedModel[] = CAPABILITIES.flatMap((c) => c.models ?? []);
