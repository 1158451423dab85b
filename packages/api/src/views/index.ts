// Saved views as one piece for the composition roots: resolver and models.
// Nothing to erase (views hold agents' searches, not customers' data),
// nothing to start.
export { ViewsResolver } from './views.resolver';
export { viewModels } from './models';
export { ViewsService } from './views.service';
