// Admission of one operation, the same for HTTP (an Apollo plugin) and
// WebSocket (graphql-ws's onSubscribe): plan what it runs, refuse what is
// over the per-request limits, charge the client's budgets, and charge
// documents that fail to parse or validate against their address.
import type { ApolloServerPlugin } from '@apollo/server';
import type { DocumentNode, GraphQLSchema } from 'graphql';
import type { Context, LookupCharge } from '../graphql/context';
import { planOperation } from './operation-plan';
import { planRefusal } from './query-limits';
import type { CostRecorder, RateLimits } from './rate-limit';

export interface OperationRequest {
  document: DocumentNode;
  operationName?: string | null;
  variables?: Record<string, unknown> | null;
  ip: string;
  /** Told every budget charged (extensions.cost, http/cost.ts). */
  cost?: CostRecorder;
}

/**
 * Throws the refusal (GRAPHQL_VALIDATION_FAILED, RATE_LIMITED); returns the
 * lookups charged, if budgets are on.
 */
export async function admitOperation(
  schema: GraphQLSchema,
  rateLimits: RateLimits | null,
  r: OperationRequest,
): Promise<LookupCharge | undefined> {
  let plan: ReturnType<typeof planOperation>;
  try {
    plan = planOperation(schema, r.document, r.operationName, r.variables ?? undefined);
  } catch (err) {
    await rateLimits?.chargeInvalid(r.ip, r.cost);
    throw err;
  }
  if (!plan) {
    // No operation selected or variables that do not coerce: the executor refuses it; the address pays for it.
    await rateLimits?.chargeInvalid(r.ip, r.cost);
    return undefined;
  }
  const refusal = planRefusal(plan);
  if (refusal) {
    await rateLimits?.chargeInvalid(r.ip, r.cost);
    throw refusal;
  }
  return rateLimits?.charge(plan, r.ip, r.cost);
}

/** Over HTTP: admitted once the operation is known, before it runs. */
export function operationGuardPlugin(
  schema: GraphQLSchema,
  rateLimits: RateLimits | null,
): ApolloServerPlugin<Context> {
  return {
    async requestDidStart() {
      return {
        async parsingDidStart({ contextValue }) {
          return async (err) => {
            if (err) await rateLimits?.chargeInvalid(contextValue.ip, contextValue.cost);
          };
        },
        async validationDidStart({ contextValue }) {
          return async (errs) => {
            if (errs?.length) await rateLimits?.chargeInvalid(contextValue.ip, contextValue.cost);
          };
        },
        async didResolveOperation({ document, request, contextValue }) {
          contextValue.lookups = await admitOperation(schema, rateLimits, {
            document,
            operationName: request.operationName,
            variables: request.variables,
            ip: contextValue.ip,
            cost: contextValue.cost,
          });
        },
      };
    },
  };
}
