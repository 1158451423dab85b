// What an operation will run, worked out the way graphql-js's executor
// works it out: the selected operation only (operationName picks it),
// fragments and inline fragments followed at any depth, @skip/@include
// applied, aliases kept apart, variables coerced with their defaults.
// Budgets, the lookups-per-request cap and the cost limit all read this
// plan, over HTTP and WebSocket alike, so none of them can be spelt around.
// What no variable can change (the operation, its fragments, the root
// fields it selects and its cost, when neither `first` nor a directive reads
// a variable) is worked out once per document: Apollo hands every request
// with the same text the same parsed document, and so does the WebSocket
// transport (document-cache.ts).
import {
  BREAK,
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
  visit,
  type ASTNode,
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

/**
 * A field's `first` as it will run (its default when not given); undefined
 * when it has none or it does not coerce (execution reports that). Only
 * `first` is read: no other argument, nor its variables, moves the cost.
 */
function firstOf(field: GraphQLField<unknown, unknown>, node: FieldNode, variables: Record<string, unknown>): unknown {
  const def = field.args.find((a) => a.name === 'first');
  if (!def) return undefined;
  try {
    return getArgumentValues(
      { ...field, args: [def] },
      { ...node, arguments: node.arguments?.filter((a) => a.name.value === 'first') },
      variables,
    ).first;
  } catch {
    return undefined;
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
    const first = firstOf(def, nodes[0], variables);
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

const hasVariable = (node: ASTNode): boolean => {
  let found = false;
  visit(node, {
    Variable() {
      found = true;
      return BREAK;
    },
  });
  return found;
};

/**
 * Whether the fields an operation runs and its cost are the same whatever
 * its variables: no directive (`@skip`, `@include`) and no `first` takes a
 * variable, in the operation or any fragment (those the operation does not
 * use too: the check stays simple, and is only ever too careful).
 */
export function variableFreeShape(document: DocumentNode, operation: OperationDefinitionNode): boolean {
  let free = true;
  const check = (node: ASTNode) =>
    visit(node, {
      Directive(d) {
        if (hasVariable(d)) free = false;
        return free ? false : BREAK;
      },
      Argument(a) {
        if (a.name.value === 'first' && hasVariable(a)) free = false;
        return free ? false : BREAK;
      },
    });
  check(operation);
  for (const d of document.definitions) if (free && d.kind === Kind.FRAGMENT_DEFINITION) check(d);
  return free;
}

/** A document's operation as far as no variable changes it; `top` and `cost` only when its shape is variable-free. */
interface Shape {
  operation: OperationDefinitionNode;
  root: GraphQLObjectType;
  fragments: Fragments;
  top?: Map<string, readonly FieldNode[]>;
  cost?: number;
}

/** Bounded walk: validation already limits depth and aliases; this caps the rest. */
const WALK_LIMIT = 10_000;

/** Per parsed document, per operation name ('' for none); null when no operation is selected. */
const shapes = new WeakMap<DocumentNode, Map<string, Shape | null>>();

function shapeOf(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | null | undefined,
): Shape | null {
  let byName = shapes.get(document);
  if (!byName) shapes.set(document, (byName = new Map()));
  const key = operationName ?? '';
  const known = byName.get(key);
  if (known !== undefined) return known;
  const operation = getOperationAST(document, operationName ?? undefined);
  const root = operation && schema.getRootType(operation.operation);
  const shape = operation && root ? { operation, root, fragments: fragmentsOf(document) } : null;
  if (shape && variableFreeShape(document, shape.operation)) {
    try {
      const top = collectFields(schema, shape.fragments, {}, shape.root, shape.operation.selectionSet);
      const cost = costOfFields(schema, shape.fragments, {}, shape.root, top, false, { left: WALK_LIMIT });
      Object.assign(shape, { top, cost });
    } catch {
      // Worked out per request instead, where the error is reported as it always was.
    }
  }
  // One entry per operation the document names (and one for none): bounded by the document itself.
  if (byName.size < 16) byName.set(key, shape);
  return shape;
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
  const shape = shapeOf(schema, document, operationName);
  if (!shape) return null;
  const { operation, root, fragments } = shape;
  const variables = coerceVariables(schema, operation, rawVariables);
  if (!variables) return null;
  try {
    const top = shape.top ?? collectFields(schema, fragments, variables, root, operation.selectionSet);
    const rootFields: RootField[] = [];
    for (const nodes of top.values()) {
      const def = root.getFields()[nodes[0].name.value];
      rootFields.push({ name: nodes[0].name.value, args: def ? argsOf(def, nodes[0], variables) : {} });
    }
    const cost = shape.cost ?? costOfFields(schema, fragments, variables, root, top, false, { left: WALK_LIMIT });
    return { operation, rootFields, cost };
  } catch (err) {
    // Arguments that coerce for the operation but not for a field or
    // directive (a null `@skip(if: $v)`): bad input, refused before it runs.
    throw new GraphQLError(err instanceof Error ? err.message : 'Invalid arguments.', {
      extensions: { code: 'BAD_USER_INPUT', http: { status: 400 } },
    });
  }
}
