// Saved replies as one piece for the composition roots: resolver and
// models. Nothing to erase (agents' texts), nothing to start.
export { RepliesResolver } from './replies.resolver';
export { replyModels } from './models';
export { RepliesService } from './replies.service';
