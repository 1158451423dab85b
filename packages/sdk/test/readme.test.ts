// The SDK's README says how it is installed, which Node it needs and what
// it brings: each claim checked against package.json, so they cannot drift.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = join(__dirname, '..');
const readme = readFileSync(join(dir, 'README.md'), 'utf8');
const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
const root = JSON.parse(readFileSync(join(dir, '../../package.json'), 'utf8'));

describe('packages/sdk/README.md', () => {
  it("names the Node of engines, which is the repository's", () => {
    expect(manifest.engines.node).toBe(root.engines.node);
    const floor = /^>=(\d+\.\d+)$/.exec(manifest.engines.node)![1];
    expect(readme).toContain(`Node ${floor}`);
    expect(readme).not.toMatch(/Node 1[0-9]\+/);
  });

  it('names every runtime dependency, and graphql (a peer of graphql-ws that npm installs)', () => {
    for (const dep of Object.keys(manifest.dependencies)) expect(readme).toContain(`\`${dep}\``);
    expect(readme).toContain('`graphql`');
    expect(readme).not.toMatch(/one runtime dependency/i);
  });

  it('says it is not on the public registry and how to install it instead', () => {
    expect(manifest.private).not.toBe(true);
    expect(readme).toMatch(/not on the public npm registry/);
    expect(readme).toContain('npm pack -w packages/sdk');
    expect(readme).toContain(`tickets-sdk-${manifest.version}.tgz`);
  });
});
