// docs/api.md's "Errors:" line of each query and mutation says what the
// resolver can answer. Each documented code (and the input field it names)
// is made to happen here against the real API, so a line the API cannot
// produce fails this file. Subscriptions answer over WebSocket and are
// left to live.test.ts.
import {
  getNamedType,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  isScalarType,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLSchema,
} from 'graphql';
import { documentedErrors, type DocumentedError } from '../../src/cli/api-reference';
import { ticketSchema } from '../../src/schema';
import { SCOPES } from '../../src/tokens/scopes';
import { TokenService } from '../../src/tokens/token.service';
import { CREATE, codeOf, startTestApi, ticketInput, type GqlResult, type TestApi } from '../support/api';

const SAMPLE_BY_NAME: Record<string, unknown> = {
  email: 'nobody@example.com',
  ticketNumber: 'TKT-99999',
  webhookId: '0123456789abcdef01234567',
  id: '0123456789abcdef01234567',
  url: 'https://hooks.example.com/tickets',
  contentType: 'text/plain',
  filename: 'notes.txt',
  size: 10,
};

/** A valid value of this type, for an argument the check does not care about. */
function sample(name: string, type: GraphQLInputType): unknown {
  if (name in SAMPLE_BY_NAME) return SAMPLE_BY_NAME[name];
  const inner = isNonNullType(type) ? type.ofType : type;
  if (isListType(inner)) return [];
  if (isEnumType(inner)) return inner.getValues()[0].value;
  if (isInputObjectType(inner)) {
    if (inner.name === 'CreateTicketInput') return ticketInput();
    return Object.fromEntries(
      Object.values(inner.getFields())
        .filter((f) => isNonNullType(f.type) && f.defaultValue === undefined)
        .map((f) => [f.name, sample(f.name, f.type)]),
    );
  }
  if (isScalarType(inner))
    return (
      ({ Int: 1, Float: 1, Boolean: true, DateTime: new Date().toISOString() } as Record<string, unknown>)[
        inner.name
      ] ?? 'a sample text'
    );
  return null;
}

/** Values that break this type's rules (empty, oversized, out of range, unknown). */
function badValues(type: GraphQLInputType): unknown[] {
  const named = getNamedType(type);
  if (isEnumType(named)) return ['NO_SUCH_VALUE'];
  if (isInputObjectType(named)) return [{}];
  if (isScalarType(named) && named.name === 'Int') return [-1, 0, 1_000_000_000];
  if (isScalarType(named) && named.name === 'DateTime') return ['not a date'];
  return ['', 'x'.repeat(20_000), '!'];
}

function call(
  field: GraphQLField<unknown, unknown>,
  kind: 'query' | 'mutation',
  values: Record<string, unknown>,
): { query: string; variables: Record<string, unknown> } {
  const args = field.args.filter((a) => a.name in values);
  const defs = args.map((a) => `$${a.name}: ${String(a.type)}`).join(', ');
  const named = getNamedType(field.type);
  const selection = isScalarType(named) || isEnumType(named) ? '' : ' { __typename }';
  const query = `${kind}${defs ? `(${defs})` : ''} { ${field.name}${args.length ? `(${args.map((a) => `${a.name}: $${a.name}`).join(', ')})` : ''}${selection} }`;
  return { query, variables: values };
}

/** The required arguments, each a valid sample. */
const required = (field: GraphQLField<unknown, unknown>) =>
  Object.fromEntries(
    field.args
      .filter((a) => isNonNullType(a.type) && a.defaultValue === undefined)
      .map((a) => [a.name, sample(a.name, a.type)]),
  );

const errorOf = (r: GqlResult) => r.body.errors?.[0]?.extensions ?? {};

describe('docs/api.md: every documented error is one the API answers', () => {
  let api: TestApi;
  const schema: GraphQLSchema = ticketSchema();
  const documented = documentedErrors(schema);
  const tokens: Record<string, { scopes: string[]; header: Record<string, string> }> = {};
  const scopesOf = new Map<string, string[]>();

  beforeAll(async () => {
    api = await startTestApi('api_errors');
    const service = new TokenService([]);
    for (const [name, scopes] of [
      ['everything', [...SCOPES]],
      ['hooks-only', ['webhooks:manage']],
      ['reader-only', ['tickets:read']],
    ] as const) {
      const { token } = await service.create(name, [...scopes]);
      tokens[name] = { scopes: [...scopes], header: { authorization: `Bearer ${token}` } };
    }
    // Which scope each operation needs: what a token with none answers.
    for (const [operation] of documented) {
      const field = fieldOf(operation);
      const r = await send(operation, required(field.field), tokens['hooks-only'].header);
      const needs = errorOf(r).requiredScope;
      const r2 = await send(operation, required(field.field), tokens['reader-only'].header);
      scopesOf.set(operation, [needs, errorOf(r2).requiredScope].filter(Boolean));
    }
  });
  afterAll(() => api?.stop());

  function fieldOf(operation: string): { field: GraphQLField<unknown, unknown>; kind: 'query' | 'mutation' } {
    const q = schema.getQueryType()!.getFields()[operation];
    return q
      ? { field: q, kind: 'query' }
      : { field: schema.getMutationType()!.getFields()[operation], kind: 'mutation' };
  }

  function send(
    operation: string,
    values: Record<string, unknown>,
    headers: Record<string, string> = {},
  ): Promise<GqlResult> {
    const { field, kind } = fieldOf(operation);
    const { query, variables } = call(field, kind, values);
    return api.gql(query, variables, headers);
  }

  /** Makes the API answer this documented error for this operation; returns what it answered instead, or null. */
  async function produce(operation: string, error: DocumentedError): Promise<string | null> {
    const { field } = fieldOf(operation);
    const everything = tokens.everything.header;
    const answered: string[] = [];
    const expectCode = (r: GqlResult, field?: string) => {
      const ext = errorOf(r);
      if (
        ext.code === error.code &&
        (!field ||
          ext.field === field ||
          (ext.fields as { field: string }[] | undefined)?.some((f) => f.field === field))
      )
        return true;
      answered.push(`${ext.code ?? 'no error'}${ext.field ? ` on ${ext.field}` : ''}`);
      return false;
    };
    switch (error.code) {
      case 'UNAUTHENTICATED':
        return expectCode(await send(operation, required(field))) ? null : answered.join('; ');
      case 'FORBIDDEN': {
        if (error.fields) {
          // A scope an input field needs, in a public operation: sent without a token.
          for (const name of error.fields) {
            const input = ticketInput({ [name]: `forbidden-${name}-${Date.now()}` });
            if (!expectCode(await send(operation, { ...required(field), input }), name)) return answered.join('; ');
          }
          return null;
        }
        const needs = scopesOf.get(operation) ?? [];
        const lacking = Object.values(tokens).find((t) => needs.some((s) => !t.scopes.includes(s)));
        if (!lacking) return `no token lacks ${needs.join(', ')}`;
        return expectCode(await send(operation, required(field), lacking.header)) ? null : answered.join('; ');
      }
      case 'NOT_FOUND':
        return expectCode(await send(operation, required(field), everything)) ? null : answered.join('; ');
      case 'DUPLICATE_ENTRY':
        for (const name of error.fields ?? []) {
          const first = ticketInput({ [name]: `dup-${name}-${Date.now()}` });
          const again =
            name === 'idempotencyKey'
              ? { ...first, subject: 'Another subject entirely' }
              : ticketInput({ [name]: first[name] });
          await api.gql(CREATE, { input: first }, everything);
          if (!expectCode(await send(operation, { input: again }, everything), name)) return answered.join('; ');
        }
        return null;
      case 'BAD_USER_INPUT':
        // Some argument, given a value that breaks its rules, is refused naming it.
        for (const arg of field.args) {
          for (const bad of badValues(arg.type)) {
            const r = await send(operation, { ...required(field), [arg.name]: bad }, everything);
            if (codeOf(r) === 'BAD_USER_INPUT') return null;
            answered.push(`${codeOf(r) ?? 'no error'} for ${arg.name}=${JSON.stringify(bad).slice(0, 20)}`);
          }
        }
        return answered.join('; ');
      default:
        return `no way to produce ${error.code} here: add one`;
    }
  }

  it('documents errors for every query and mutation', () => {
    expect(documented.size).toBeGreaterThan(15);
    expect(documented.get('createTicket')).toEqual(
      expect.arrayContaining([
        { code: 'FORBIDDEN', fields: ['chatId'] },
        { code: 'DUPLICATE_ENTRY', fields: ['chatId', 'idempotencyKey'] },
      ]),
    );
  });

  it('each documented code (and field) is answered by the API', async () => {
    const unproduced: string[] = [];
    for (const [operation, errors] of documented) {
      for (const error of errors) {
        const instead = await produce(operation, error);
        if (instead !== null)
          unproduced.push(
            `${operation} ${error.code}${error.fields ? ` on ${error.fields.join(',')}` : ''}: answered ${instead}`,
          );
      }
    }
    expect(unproduced).toEqual([]);
  }, 120_000);

  it('a validation error names the input field as the table says (customerEmail, not input.customerEmail)', async () => {
    const r = await api.gql(CREATE, { input: ticketInput({ customerEmail: 'not-an-email' }) });
    expect(codeOf(r)).toBe('BAD_USER_INPUT');
    expect(errorOf(r).fields).toEqual([expect.objectContaining({ field: 'customerEmail' })]);
  });
});
