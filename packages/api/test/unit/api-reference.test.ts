// docs/api.md's generated half follows the schema, and its written error
// table names every error code (the same checks as `npm run schema:check`).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { buildSchema } from 'graphql';
import { generatedReference, undocumentedCodes, withReference } from '../../src/cli/api-reference';

const DOC = path.resolve(__dirname, '../../../../docs/api.md');

describe('docs/api.md', () => {
  const doc = readFileSync(DOC, 'utf8');

  it('holds the reference generated from the current schema', () => {
    expect(withReference(doc, generatedReference())).toBe(doc);
  });

  it('documents every error code', () => {
    expect(undocumentedCodes(doc)).toEqual([]);
    expect(undocumentedCodes(doc.replace('| `NOT_FOUND` |', '| NOT FOUND |'))).toEqual(['NOT_FOUND']);
  });

  it('shows an operation with its arguments, scope and budget, and goes stale when the schema changes', () => {
    const schema = buildSchema(`type Query {
      """Public. Says hello."""
      hello("""Whom to greet.""" name: String! = "world"): String
    }`);
    const reference = generatedReference(schema);
    expect(reference).toContain(
      '#### `hello`\n\nPublic. Says hello.\n\n- Returns: `String`\n- Scope: none (public)\n- Budget: other (300 per 60 s per client)',
    );
    expect(reference).toContain('| `name` | `String!` | `"world"` | Whom to greet. |');
    expect(withReference(doc, reference)).not.toBe(doc);
  });
});
