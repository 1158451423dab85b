// The one client the app uses: the SDK, on this origin's /graphql.
import { createClient } from '@tickets/sdk';

export const client = createClient({ url: new URL('/graphql', window.location.origin).toString(), timeoutMs: 15_000 });
