// AGENT_TOKENS entries: name=secret names the agent; a bare secret (even
// one with "=" in it, as base64 has) is the agent "agent".
import { loadConfig, ConfigError } from '../../src/config/config';
import { parseAgentToken, parseAgentTokens } from '../../src/tokens/agent-tokens';
import { TokenService } from '../../src/tokens/token.service';

const SECRET = 'a'.repeat(32);
const OTHER = 'b'.repeat(40);

describe('AGENT_TOKENS', () => {
  it('reads name=secret and bare secrets', () => {
    expect(parseAgentTokens(`ada=${SECRET}, ${OTHER}`)).toEqual([
      { name: 'ada', secret: SECRET },
      { name: 'agent', secret: OTHER },
    ]);
    expect(parseAgentTokens('')).toEqual([]);
  });

  it('keeps a base64 secret with padding whole', () => {
    const b64 = 'q2Vx0mQh3nXJ7b0f9sKc4v1R8yT6uW2pLa5dEg3hZk0=';
    expect(parseAgentToken(b64)).toEqual({ name: 'agent', secret: b64 });
    expect(parseAgentToken(`grace.hopper=${b64}`)).toEqual({ name: 'grace.hopper', secret: b64 });
  });

  it('refuses short secrets, named or not, and the same secret twice (a clear start-up error)', () => {
    expect(() => parseAgentTokens('ada=short')).toThrow(/at least 32 characters/);
    expect(() => loadConfig({ AGENT_TOKENS: 'short' })).toThrow(ConfigError);
    expect(() => loadConfig({ AGENT_TOKENS: `ada=${SECRET},grace=${SECRET}` })).toThrow(/same secret twice/);
  });

  it("each secret signs in as its own agent, with the agents' scopes and one webhook owner", async () => {
    const tokens = new TokenService(parseAgentTokens(`ada=${SECRET},grace=${OTHER}`));
    const ada = await tokens.authenticate(`Bearer ${SECRET}`);
    const grace = await tokens.authenticate(`Bearer ${OTHER}`);
    expect([ada?.name, grace?.name]).toEqual(['ada', 'grace']);
    expect(ada?.tokenId).toBe('agent');
    expect([...ada!.scopes].sort()).toEqual(['tickets:read', 'tickets:write']);
    expect(await tokens.authenticate(`Bearer ${'c'.repeat(32)}`)).toBeNull();
  });
});
