// Saved replies as one piece for the composition roots: resolver and
// models. Nothing to erase (agents' texts), nothing to start.
import type { Capability } from '../capability';
import { replyModels } from './models';
import { RepliesResolver } from './reply.resolver';
export { RepliesResolver } from './reply.resolver';
export { replyModels } from './models';
export { RepliesService } from './reply.service';

export const repliesCapability: Capability = { name: 'replies', models: replyModels, resolvers: [RepliesResolver] };
