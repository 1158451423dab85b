// Prometheus metrics (prom-client), one registry per API instance. Label
// values are bounded: operation names come from the schema's root fields,
// codes from the known error codes; nothing from a request body, no ticket
// number, email, token or free text ever becomes a label.
import type { ApolloServerPlugin } from '@apollo/server';
import type { GraphQLSchema, OperationDefinitionNode } from 'graphql';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { ErrorCode, firstErrorCode } from '../errors/error-codes';
import type { DeliveryOutcome } from '../webhooks/delivery-outcomes';
import { startDefaultMetrics } from './default-metrics';

const KNOWN_CODES = new Set<string>([
  ...Object.values(ErrorCode),
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_REQUEST',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'OPERATION_RESOLUTION_FAILURE',
]);

export class Metrics {
  readonly registry = new Registry();
  private readonly operations = new Histogram({
    name: 'graphql_operation_duration_seconds',
    help: 'GraphQL operations by root field and outcome code (OK or the error code).',
    labelNames: ['operation', 'code'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  readonly ticketsCreated = new Counter({
    name: 'tickets_created_total',
    help: 'Tickets created.',
    registers: [this.registry],
  });
  readonly collisions = new Counter({
    name: 'ticket_number_collisions_total',
    help: 'Ticket number collisions absorbed (the counter was behind the data).',
    registers: [this.registry],
  });
  /** reason: "request" (eraseCustomer, the CLI) or "retention" (the sweep). */
  readonly ticketsErased = new Counter({
    name: 'tickets_erased_total',
    help: 'Tickets whose customer data was erased, by reason.',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  private readonly deliveries = new Counter({
    name: 'webhook_deliveries_total',
    help: 'Webhook delivery attempts by outcome.',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  private readonly stopDefaults: () => void;

  constructor(
    private readonly rootFields: ReadonlySet<string>,
    activeSubscriptions: () => number,
    live?: { readonly longestQueue: number; readonly slowConsumersEnded: number },
  ) {
    this.stopDefaults = startDefaultMetrics(this.registry);
    new Gauge({
      name: 'graphql_subscriptions_active',
      help: 'Open GraphQL subscriptions in this process.',
      registers: [this.registry],
      collect() {
        this.set(activeSubscriptions());
      },
    });
    if (live) {
      new Gauge({
        name: 'graphql_subscription_queue_longest',
        help: 'The most updates any open subscription in this process has waiting to be sent (at most SUBSCRIPTION_QUEUE_LIMIT).',
        registers: [this.registry],
        collect() {
          this.set(live.longestQueue);
        },
      });
      new Counter({
        name: 'graphql_subscriptions_slow_consumer_total',
        help: 'Subscriptions ended with SLOW_CONSUMER: their subscriber fell behind by more than SUBSCRIPTION_QUEUE_LIMIT.',
        registers: [this.registry],
        collect() {
          this.reset();
          this.inc(live.slowConsumersEnded);
        },
      });
    }
  }

  /** WebSocket send buffers (http/send-buffer.ts). */
  watchSockets(sockets: { readonly largestSendBuffer: number; readonly closedUnread: number }): void {
    new Gauge({
      name: 'graphql_ws_send_buffer_largest_bytes',
      help: 'The most bytes any open WebSocket in this process has waiting to be sent (closed past 1 MiB).',
      registers: [this.registry],
      collect() {
        this.set(sockets.largestSendBuffer);
      },
    });
    new Counter({
      name: 'graphql_ws_closed_unread_total',
      help: 'WebSockets closed (1008) because their client stopped reading what it made the server send.',
      registers: [this.registry],
      collect() {
        this.reset();
        this.inc(sockets.closedUnread);
      },
    });
  }

  /** The operation label: its first root field, when the schema has it; else "other". */
  operationOf(operation: OperationDefinitionNode | undefined): string {
    const first = operation?.selectionSet.selections[0];
    return first?.kind === 'Field' && this.rootFields.has(first.name.value) ? first.name.value : 'other';
  }

  observeOperation(operation: string, code: string | undefined, seconds: number): void {
    this.operations.observe(
      { operation, code: code === undefined ? 'OK' : KNOWN_CODES.has(code) ? code : 'INTERNAL_SERVER_ERROR' },
      seconds,
    );
  }

  delivery(outcome: DeliveryOutcome): void {
    this.deliveries.inc({ outcome });
  }

  /** Stops the process metrics' sampling (when the API stops): nothing of this instance stays behind. */
  stop(): void {
    this.stopDefaults();
  }
}

/** Every root field of the schema: the only operation names a label may hold. */
export function rootFieldsOf(schema: GraphQLSchema): Set<string> {
  return new Set(
    [schema.getQueryType(), schema.getMutationType(), schema.getSubscriptionType()].flatMap((t) =>
      t ? Object.keys(t.getFields()) : [],
    ),
  );
}

/** Times every HTTP GraphQL request, labelled by root field and the first error's code. */
export function metricsPlugin(metrics: Metrics): ApolloServerPlugin {
  return {
    async requestDidStart() {
      const started = process.hrtime.bigint();
      return {
        async willSendResponse({ operation, response }) {
          const errors = response.body.kind === 'single' ? response.body.singleResult.errors : undefined;
          metrics.observeOperation(
            metrics.operationOf(operation ?? undefined),
            firstErrorCode(errors),
            Number(process.hrtime.bigint() - started) / 1e9,
          );
        },
      };
    },
  };
}
