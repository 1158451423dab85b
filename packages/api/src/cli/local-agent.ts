// A newcomer's agent: outside production, with AGENT_TOKENS empty, `npm
// start` (and `npm run demo`, `npm run web`) signs in one agent of its own
// and prints its token, named so its moves show under that name. The secret
// is kept in DATA_DIR (git-ignored, this user only), so a browser tab
// signed in stays signed in across restarts.
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AGENT_NAME, MIN_SECRET_LENGTH, type AgentToken } from '../tokens/agent-tokens';

export const LOCAL_AGENT_NAME = 'local-agent';

export function localAgent(dataDir: string): AgentToken {
  const file = join(dataDir, 'local-agent.json');
  try {
    const saved = JSON.parse(readFileSync(file, 'utf8')) as Partial<AgentToken>;
    if (
      typeof saved.name === 'string' &&
      AGENT_NAME.test(saved.name) &&
      typeof saved.secret === 'string' &&
      saved.secret.length >= MIN_SECRET_LENGTH
    )
      return { name: saved.name, secret: saved.secret };
  } catch {
    // none yet, or unreadable: make one
  }
  const agent = { name: LOCAL_AGENT_NAME, secret: randomBytes(32).toString('hex') };
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(file, JSON.stringify(agent), { mode: 0o600 });
  return agent;
}
