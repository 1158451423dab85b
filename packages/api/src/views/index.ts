// Saved views as one piece for the composition roots: resolver, models and
// the service its resolver finds on the context (built by compose.ts).
// Nothing to erase (views hold agents' searches, not customers' data),
// nothing to start.
import type { Capability } from '../capability';
import { viewModels } from './models';
import { ViewsResolver } from './views.resolver';
import type { ViewsService } from './views.service';
export { ViewsResolver } from './views.resolver';
export { viewModels } from './models';
export { ViewsService } from './views.service';

// Its resolver's service, on every operation's context (built by compose.ts).
declare module '../graphql/context' {
  interface Context {
    /** Saved views (views/). */
    views: ViewsService;
  }
}

export const viewsCapability: Capability = { name: 'views', models: viewModels, resolvers: [ViewsResolver] };
