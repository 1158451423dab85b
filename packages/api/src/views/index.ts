// Saved views as one piece for the composition roots: resolver and models.
// Nothing to erase (views hold agents' searches, not customers' data),
// nothing to start.
import type { Capability } from '../capability';
import { viewModels } from './models';
import { ViewsResolver } from './views.resolver';
export { ViewsResolver } from './views.resolver';
export { viewModels } from './models';
export { ViewsService } from './views.service';

export const viewsCapability: Capability = { name: 'views', models: viewModels, resolvers: [ViewsResolver] };
