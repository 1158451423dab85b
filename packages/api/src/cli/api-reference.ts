// The generated half of docs/api.md: every operation (with the scope its
// resolver declares and the budget it is charged) and every type, from the
// schema's own descriptions, between two markers; the prose around them is
// written by hand. `--write` regenerates it (part of `npm run schema`),
// `--check` fails when it is stale or an error code is not documented
// (part of `npm run schema:check`, so of `npm test`).
import 'reflect-metadata';
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  getNamedType,
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isNonNullType,
  isObjectType,
  isScalarType,
  isUnionType,
  type GraphQLArgument,
  type GraphQLField,
  type GraphQLInputField,
  type GraphQLNamedType,
  type GraphQLObjectType,
  type GraphQLSchema,
} from 'graphql';
import { getMetadataStorage } from 'type-graphql';
import { ErrorCode } from '../errors/error-codes';
import { BUDGET_OF_FIELD, BUDGETS, FREE_FIELDS } from '../http/rate-limit';
import { deprecations } from '../schema-changes/schema-changes';
import { curlOf, EXAMPLES } from './api-examples';
import { ticketSchema } from '../schema';

const FILE = resolve(__dirname, '../../../../docs/api.md');
const BEGIN =
  '<!-- BEGIN GENERATED REFERENCE: `npm run schema` writes this part from the schema; do not edit it by hand -->';
const END = '<!-- END GENERATED REFERENCE -->';

/** One line, safe in a Markdown table cell. */
const cell = (text: string | null | undefined): string =>
  (text ?? '')
    .replace(/\s*\n\s*/g, ' ')
    .replace(/\|/g, '\\|')
    .trim();

/** The scopes each root field's resolver declares with @Authorized, by field name. */
function declaredScopes(): Map<string, string[]> {
  const storage = getMetadataStorage();
  const scopes = new Map<string, string[]>();
  for (const op of [...storage.queries, ...storage.mutations, ...storage.subscriptions]) {
    const auth = storage.authorizedFields.find((a) => a.target === op.target && a.fieldName === op.methodName);
    if (auth) scopes.set(op.schemaName, auth.roles.map(String));
  }
  return scopes;
}

function budgetOf(field: string): string {
  if (FREE_FIELDS.has(field)) return 'none (free)';
  const name = BUDGET_OF_FIELD[field] ?? 'other';
  const { points, duration } = BUDGETS[name];
  const uploads =
    field === 'createUpload'
      ? `, uploadBytes (its size in KiB, ${BUDGETS.uploadBytes.points} per ${BUDGETS.uploadBytes.duration} s per client)`
      : '';
  const bulk = field === 'startBulkChange' ? ', 1 point per 10 ticketNumbers (a view: 1)' : '';
  return `${name} (${points} per ${duration} s per client${bulk})${uploads}`;
}

/** One error an operation answers with: a code, and the input field it names where it names one. */
export interface DocumentedError {
  code: string;
  fields?: string[];
}

/** Input fields guarded by a scope inside a public operation (FORBIDDEN naming the field, not the operation). */
const SCOPED_FIELDS: Record<string, string[]> = { createTicket: ['chatId'] };
/** Operations whose arguments are never refused: node(id) and bulkJob(id) answer null, deleteView and deleteReply false, for an id that names nothing. */
const UNCHECKED_ARGUMENTS = ['node', 'bulkJob', 'deleteView', 'deleteReply'];
/** Input fields that are unique keys (DUPLICATE_ENTRY naming the field). */
const UNIQUE_FIELDS = ['chatId', 'idempotencyKey'];

/**
 * The codes an operation answers with besides those every operation can
 * (RATE_LIMITED, SERVICE_UNAVAILABLE, INTERNAL_SERVER_ERROR), read from its
 * shape the way the services decide them: input checked field by field, a
 * scope checked by @Authorized, an operation on a named ticket or webhook
 * that must exist (non-null result), an input carrying a unique key.
 * test/e2e/api-errors.test.ts makes the API answer each of them.
 */
export function errorsOf(field: GraphQLField<unknown, unknown>, scoped: boolean): DocumentedError[] {
  const errors: DocumentedError[] = [];
  if (field.args.length && !UNCHECKED_ARGUMENTS.includes(field.name)) errors.push({ code: 'BAD_USER_INPUT' });
  const unique = field.args.flatMap((a) => {
    const type = getNamedType(a.type);
    return isInputObjectType(type) ? UNIQUE_FIELDS.filter((f) => f in type.getFields()) : [];
  });
  if (unique.length) errors.push({ code: 'DUPLICATE_ENTRY', fields: unique });
  if (scoped) errors.push({ code: 'UNAUTHENTICATED' }, { code: 'FORBIDDEN' });
  else if (SCOPED_FIELDS[field.name]) errors.push({ code: 'FORBIDDEN', fields: SCOPED_FIELDS[field.name] });
  // A thing that must exist: a non-null object answer (a Boolean answers false instead).
  if (
    scoped &&
    isNonNullType(field.type) &&
    !isScalarType(getNamedType(field.type)) &&
    field.args.some((a) => ['ticketNumber', 'id', 'webhookId'].includes(a.name))
  )
    errors.push({ code: 'NOT_FOUND' });
  return errors;
}

/** Every query's and mutation's documented errors, by operation (subscriptions answer over WebSocket). */
export function documentedErrors(schema: GraphQLSchema = ticketSchema()): Map<string, DocumentedError[]> {
  const scopes = declaredScopes();
  const out = new Map<string, DocumentedError[]>();
  for (const type of [schema.getQueryType(), schema.getMutationType()]) {
    for (const field of Object.values(type?.getFields() ?? {}))
      out.set(field.name, errorsOf(field, Boolean(scopes.get(field.name)?.length)));
  }
  return out;
}

const errorText = (e: DocumentedError) =>
  `\`${e.code}\`${e.fields ? ` (on ${e.fields.map((f) => `\`${f}\``).join(', ')})` : ''}`;

function argumentRows(args: readonly (GraphQLArgument | GraphQLInputField)[]): string[] {
  return args.map(
    (a) =>
      `| \`${a.name}\` | \`${String(a.type)}\` | ${a.defaultValue === undefined ? '' : `\`${JSON.stringify(a.defaultValue)}\``} | ${cell(a.description)} |`,
  );
}

function operations(schema: GraphQLSchema): string[] {
  const scopes = declaredScopes();
  const out: string[] = [];
  const roots: [string, GraphQLObjectType | null | undefined][] = [
    ['Queries', schema.getQueryType()],
    ['Mutations', schema.getMutationType()],
    ['Subscriptions', schema.getSubscriptionType()],
  ];
  for (const [title, type] of roots) {
    if (!type) continue;
    out.push(`### ${title}`, '');
    for (const field of Object.values(type.getFields()).sort((a, b) => a.name.localeCompare(b.name))) {
      const scope = scopes.get(field.name);
      out.push(`#### \`${field.name}\``, '', cell(field.description), '');
      out.push(`- Returns: \`${String(field.type)}\``);
      out.push(`- Scope: ${scope?.length ? scope.map((s) => `\`${s}\``).join(' and ') : 'none (public)'}`);
      out.push(`- Budget: ${budgetOf(field.name)}`);
      const errors = errorsOf(field, Boolean(scope?.length));
      out.push(
        `- Errors: ${[...errors.map(errorText), 'and those of every operation'].join(', ')} ([Errors](#errors))`,
      );
      if (field.deprecationReason) out.push(`- Deprecated: ${cell(field.deprecationReason)}`);
      if (field.args.length)
        out.push(
          '',
          '| argument | type | default | meaning |',
          '| --- | --- | --- | --- |',
          ...argumentRows(field.args),
        );
      out.push('', ...exampleOf(field.name, title === 'Subscriptions'));
    }
  }
  return out;
}

/** An operation's example (api-examples.ts): the curl (or the WebSocket payload) and the SDK call. */
function exampleOf(name: string, subscription: boolean): string[] {
  const example = EXAMPLES[name];
  if (!example) return ['No example yet: add one to packages/api/src/cli/api-examples.ts.', ''];
  const out = ['Example:', ''];
  if (subscription) {
    out.push(
      'Over WebSocket (`graphql-transport-ws` on `/graphql`; a token goes in `connection_init`), subscribe with:',
      '',
      '```json',
      JSON.stringify({ query: example.query, ...(example.variables ? { variables: example.variables } : {}) }),
      '```',
      '',
    );
  } else {
    out.push('```bash', curlOf(example), '```', '');
  }
  out.push(
    example.sdk ? '```ts' : 'Not in the SDK: send the document above with any GraphQL client.',
    ...(example.sdk ? [example.sdk, '```'] : []),
    '',
  );
  return out;
}

function typeSection(type: GraphQLNamedType): string[] {
  const kind = isObjectType(type)
    ? 'type'
    : isInterfaceType(type)
      ? 'interface'
      : isInputObjectType(type)
        ? 'input'
        : isEnumType(type)
          ? 'enum'
          : isUnionType(type)
            ? 'union'
            : 'scalar';
  const out = [`#### \`${type.name}\` (${kind})`, ''];
  if (type.description) out.push(cell(type.description), '');
  if (isObjectType(type) || isInterfaceType(type)) {
    const interfaces = type.getInterfaces();
    if (interfaces.length) out.push(`Implements ${interfaces.map((i) => `\`${i.name}\``).join(', ')}.`, '');
    out.push('| field | type | meaning |', '| --- | --- | --- |');
    for (const f of Object.values(type.getFields()) as GraphQLField<unknown, unknown>[]) {
      const args = f.args.length ? `(${f.args.map((a) => `${a.name}: ${String(a.type)}`).join(', ')})` : '';
      out.push(
        `| \`${f.name}${args}\` | \`${String(f.type)}\` | ${cell(f.description)}${f.deprecationReason ? ` Deprecated: ${cell(f.deprecationReason)}` : ''} |`,
      );
    }
  } else if (isInputObjectType(type)) {
    out.push(
      '| field | type | default | meaning |',
      '| --- | --- | --- | --- |',
      ...argumentRows(Object.values(type.getFields())),
    );
  } else if (isEnumType(type)) {
    out.push(
      '| value | meaning |',
      '| --- | --- |',
      ...type.getValues().map((v) => `| \`${v.name}\` | ${cell(v.description)} |`),
    );
  } else if (isUnionType(type)) {
    out.push(
      `One of ${type
        .getTypes()
        .map((t) => `\`${t.name}\``)
        .join(', ')}.`,
    );
  }
  out.push('');
  return out;
}

/** What is on its way out (CHANGELOG.md says since when), with the date after which it may be removed. */
function deprecatedSection(schema: GraphQLSchema): string[] {
  const list = deprecations(schema);
  const out = ['## Deprecated', ''];
  if (!list.length)
    return [
      ...out,
      'Nothing is deprecated. A field leaves only after a release that deprecates it with a removal date (CHANGELOG.md).',
      '',
    ];
  return [
    ...out,
    '| field | why, and when it may be removed |',
    '| --- | --- |',
    ...list.map((d) => `| \`${d.path}\` | ${cell(d.reason)} |`),
    '',
  ];
}

/** The generated part, markers included. */
export function generatedReference(schema: GraphQLSchema = ticketSchema()): string {
  const roots = new Set(
    [schema.getQueryType(), schema.getMutationType(), schema.getSubscriptionType()].filter(Boolean).map((t) => t!.name),
  );
  const types = Object.values(schema.getTypeMap())
    .filter(
      (t) =>
        !t.name.startsWith('__') &&
        !roots.has(t.name) &&
        !(isScalarType(t) && ['String', 'Int', 'Float', 'Boolean', 'ID'].includes(t.name)),
    )
    .sort((a, b) => a.name.localeCompare(b.name));
  return [
    BEGIN,
    '',
    ...deprecatedSection(schema),
    '## Operations',
    '',
    ...operations(schema),
    '## Types',
    '',
    ...types.flatMap(typeSection),
    END,
  ].join('\n');
}

/** docs/api.md with its generated part replaced. */
export function withReference(doc: string, reference: string): string {
  const start = doc.indexOf(BEGIN);
  const end = doc.indexOf(END);
  if (start < 0 || end < start) throw new Error(`docs/api.md lacks the markers ${BEGIN} ... ${END}`);
  return doc.slice(0, start) + reference + doc.slice(end + END.length);
}

/** Error codes of errors/error-codes.ts that the written error table does not name. */
export function undocumentedCodes(doc: string): string[] {
  return Object.values(ErrorCode).filter((code) => !doc.includes(`| \`${code}\` |`));
}

if (require.main === module) {
  const doc = readFileSync(FILE, 'utf8');
  const expected = withReference(doc, generatedReference());
  if (process.argv.includes('--write')) {
    writeFileSync(FILE, expected);
    process.stdout.write(`wrote the reference in ${FILE}\n`);
  } else {
    const problems: string[] = [];
    if (doc !== expected)
      problems.push('docs/api.md is out of date with the schema: run `npm run schema` and commit the result.');
    const missing = undocumentedCodes(doc);
    if (missing.length) problems.push(`docs/api.md's error table lacks ${missing.join(', ')}: add a row for each.`);
    if (problems.length) {
      process.stderr.write(`${problems.join('\n')}\n`);
      process.exit(1);
    }
    process.stdout.write('docs/api.md matches the schema\n');
  }
}
