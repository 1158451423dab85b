// Tags and custom fields as one piece for the composition roots: resolvers,
// models and the filter the listing and search use. Nothing to erase of its
// own (values live on the ticket, and are agents' words, not the customer's;
// the TAGGED events go with the other events), nothing to start.
import type { Capability } from '../capability';
import { FieldsResolver, TicketFieldsResolver } from './field.resolver';
import { fieldModels } from './models';
export { FieldsResolver, TicketFieldsResolver } from './field.resolver';
export { fieldModels } from './models';
export { fieldsFilter } from './filter';
export { FieldsService } from './field.service';

export const fieldsCapability: Capability = {
  name: 'fields',
  models: fieldModels,
  resolvers: [FieldsResolver, TicketFieldsResolver],
};
