// The change feed: every timeline event in one order, for readers, webhooks and subscriptions.
import type { Capability } from '../capability';
import { FeedResolver } from './feed.resolver';
import { feedModels } from './models';

export const feedCapability: Capability = { name: 'feed', models: feedModels, resolvers: [FeedResolver] };
export { FeedService } from './feed.service';
export { adoptLegacyEvents, FeedSequencer } from './sequencer';
