// What an operation will run, worked out the way graphql-js's executor
// works it out: the selected operation only (operationName picks it),
// fragments and inline fragments followed at any depth, @skip/@include
// applied, aliases kept apart, variables coerced with their defaults.
// Budgets, the lookups-per-request cap and the cost limit all read this
// plan, over HTTP and WebSocket alike, so none of them can be spelt around.
import {
  getArgumentValues,
  getNamedType,
  getNullableType,
  getOperationAST,
  getVariableValues,
  GraphQLError,
  isCompositeType,
  isListType,
  isObjectType,
  Kind,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLField,
  type GraphQLObjectType,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from 'graphql';
import { collectFields, collectSubfields } from 'graphql/execution/collectFields';

/** One root field as it will run: its name and its coerced arguments. */
export interface RootField {
  name: string;
  args: Record<string, unknown>;
}

export interface OperationPlan {
  operation: OperationDefinitionNode;
  /** One entry per response key: aliases of one field count apart. */
  rootFields: RootField[];
  /** Fields resolved, lists counted at their size (see costOf). */
  cost: number;
}

/** A list without `first` (a ticket's timeline) is charged as this many items. */
export const UNPAGED_LIST_ITEMS = 20;

type Fragments = Record<string, FragmentDefinitionNode>;

function fragmentsOf(document: DocumentNode): Fragments {
  const fragments: Fragments = Object.create(null);
  for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments[d.name.value] = d;
  return fragments;
}

function argsOf(
  field: GraphQLField<unknown, unknown>,
  node: FieldNode,
  variables: Record<string, unknown>,
): Record<string, unknown> {
  try {
    return getArgumentValues(field, node, variables);
  } catch {
    return {}; // execution reports the bad argument; the plan charges the field anyway
  }
}

/** The object types a selection on this composite type may run against (all of them for an interface or union). */
function runtimeTypes(schema: GraphQLSchema, type: ReturnType<typeof getNamedType>): readonly GraphQLObjectType[] {
  if (isObjectType(type)) return [type];
  return isCompositeType(type) ? schema.getPossibleTypes(type) : [];
}

/**
 * Cost of the fields under one selection: each field 1, plus its
 * subfields; a field with a `first` argument multiplies its subtree by
 * `first` (the page it returns), the page's own list inside it is that page,
 * and any other list counts as UNPAGED_LIST_ITEMS items.
 */
function costOfFields(
  schema: GraphQLSchema,
  fragments: Fragments,
  variables: Record<string, unknown>,
  parent: GraphQLObjectType,
  fields: Map<string, readonly FieldNode[]>,
  inPage: boolean,
  budget: { left: number },
): number {
  let total = 0;
  for (const nodes of fields.values()) {
    if (budget.left-- <= 0) return Infinity; // a pathological document: refuse rather than walk it all
    const def = parent.getFields()[nodes[0].name.value];
    if (!def) {
      total += 1;
      continue;
    } // __typename and the like
    const named = getNamedType(def.type);
    // costAsScalar: a small bounded list kept inside its parent's document (an event's attachments): read with it, no work per item.
    if (!isCompositeType(named) || def.extensions?.costAsScalar === true) {
      total += 1;
      continue;
    }
    const first = argsOf(def, nodes[0], variables).first;
    const paged = typeof first === 'number';
    let items = 1;
    if (paged) items = Math.max(1, first);
    else if (isListType(getNullableType(def.type)) && !inPage) items = UNPAGED_LIST_ITEMS;
    let sub = 0;
    for (const type of runtimeTypes(schema, named)) {
      sub = Math.max(
        sub,
        costOfFields(
          schema,
          fragments,
          variables,
          type,
          collectSubfields(schema, fragments, variables, type, nodes),
          paged,
          budget,
        ),
      );
    }
    total += 1 + items * sub;
  }
  return total;
}

/** Variables as the executor will see them, or null when they do not coerce (the executor refuses those). */
export function coerceVariables(
  schema: GraphQLSchema,
  operation: OperationDefinitionNode,
  raw: Record<string, unknown> | undefined,
): Record<string, unknown> | null {
  const result = getVariableValues(schema, operation.variableDefinitions ?? [], raw ?? {}, { maxErrors: 1 });
  return result.errors ? null : result.coerced;
}

/**
 * The plan of a parsed, validated document; null when no operation is
 * selected or its variables do not coerce (the executor answers those);
 * throws BAD_USER_INPUT when a field's or directive's arguments do not.
 */
export function planOperation(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | null | undefined,
  rawVariables: Record<string, unknown> | undefined,
): OperationPlan | null {
  const operation = getOperationAST(document, operationName ?? undefined);
  if (!operation) return null;
  const root = schema.getRootType(operation.operation);
  if (!root) return null;
  const variables = coerceVariables(schema, operation, rawVariables);
  if (!variables) return null;
  const fragments = fragmentsOf(document);
  try {
    const top = collectFields(schema, fragments, variables, root, operation.selectionSet);
    const rootFields: RootField[] = [];
    for (const nodes of top.values()) {
      const def = root.getFields()[nodes[0].name.value];
      rootFields.push({ name: nodes[0].name.value, args: def ? argsOf(def, nodes[0], variables) : {} });
    }
    // Bounded walk: validation already limits depth and aliases; this caps the rest.
    const cost = costOfFields(schema, fragments, variables, root, top, false, { left: 10_000 });
    return { operation, rootFields, cost };
  } catch (err) {
    // Arguments that coerce for the operation but not for a field or
    // directive (a null `@skip(if: $v)`): bad input, refused before it runs.
    throw new GraphQLError(err instanceof Error ? err.message : 'Invalid arguments.', {
      extensions: { code: 'BAD_USER_INPUT', http: { status: 400 } },
    });
  }
}
