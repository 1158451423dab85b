// Every capability's models, in one list for the composition roots
// (cli/serve.ts, cli/doctor.ts, the tests' API), which hand it to db/ to
// build the indexes. A new capability exports `<name>Models` from its own
// models.ts and adds it here; db/ knows no model.
import { attachmentModels } from './attachments/models';
import type { IndexedModel } from './db/connection';
import { customerModels } from './customers/models';
import { feedModels } from './feed/models';
import { fieldModels } from './fields/models';
import { replyModels } from './replies/models';
import { searchModels } from './search/models';
import { ticketModels } from './tickets/models';
import { tokenModels } from './tokens/models';
import { viewModels } from './views/models';
import { webhookModels } from './webhooks/models';

export const MODELS: readonly IndexedModel[] = [...ticketModels, ...tokenModels, ...feedModels, ...webhookModels, ...customerModels, ...attachmentModels, ...searchModels, ...fieldModels, ...viewModels, ...replyModels];
