// Tokens: named API tokens with scopes (kept by `npm run tokens`), and the agents' tokens from AGENT_TOKENS.
import type { Capability } from '../capability';
import { tokenModels } from './models';

export const tokensCapability: Capability = { name: 'tokens', models: tokenModels };
export { TokenService } from './token.service';
