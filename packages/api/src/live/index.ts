// Live updates: GraphQL subscriptions fed by this process's view of the change feed.
import type { Capability } from '../capability';
import { LiveResolver } from './live.resolver';

export const liveCapability: Capability = { name: 'live', resolvers: [LiveResolver] };
export { FeedHub } from './feed-hub';
