// Customers' data: export, erasure (every capability's erasers), the audit trail and retention.
import type { Capability } from '../capability';
import { CustomerResolver } from './customer.resolver';
import { customerModels } from './models';

export const customersCapability: Capability = {
  name: 'customers',
  models: customerModels,
  resolvers: [CustomerResolver],
};
export { builtInErasers, CustomerService } from './customer.service';
export type { Eraser } from './eraser';
export { RetentionSweep } from './retention-sweep';
