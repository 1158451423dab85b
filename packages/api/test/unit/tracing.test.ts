// The pure parts of tracing: when it is on, and what is kept out of attributes.
import { parse, type OperationDefinitionNode } from 'graphql';
import {
  operationSpanName,
  redactQuery,
  tracesProtocol,
  tracingWanted,
  urlWithoutQuery,
} from '../../src/telemetry/tracing';

const op = (source: string) => parse(source).definitions[0] as OperationDefinitionNode;

describe('tracing', () => {
  it('is on with an OTLP endpoint, off without one or when switched off', () => {
    expect(tracingWanted({})).toBe(false);
    expect(tracingWanted({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' })).toBe(true);
    expect(tracingWanted({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://c:4318/v1/traces' })).toBe(true);
    expect(tracingWanted({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_SDK_DISABLED: 'true' })).toBe(false);
    expect(tracingWanted({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_TRACES_EXPORTER: 'none' })).toBe(false);
  });

  it('speaks http/protobuf unless http/json is asked for (per signal first)', () => {
    expect(tracesProtocol({})).toBe('http/protobuf');
    expect(tracesProtocol({ OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' })).toBe('http/json');
    expect(
      tracesProtocol({ OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/protobuf' }),
    ).toBe('http/protobuf');
  });

  it('keeps the names of query parameters, never their values', () => {
    expect(redactQuery('query=%7B+x+%7D&variables=%7B%22e%22%3A%22a%40b.c%22%7D')).toBe(
      'query=REDACTED&variables=REDACTED',
    );
    expect(redactQuery('')).toBe('');
  });

  it('drops the query string of outgoing URLs (a webhook URL may carry a secret there)', () => {
    expect(
      urlWithoutQuery({ protocol: 'https:', hostname: 'hooks.example.com', port: 8443, path: '/in?token=s3cret' }),
    ).toBe('https://hooks.example.com:8443/in');
    expect(urlWithoutQuery({ host: 'example.com', path: '/x' })).toBe('http://example.com/x');
  });

  it('names the operation span by the operation name, else by its root field', () => {
    expect(operationSpanName(op('mutation Open($i: CreateTicketInput!) { createTicket(input: $i) { id } }'))).toBe(
      'mutation Open',
    );
    expect(operationSpanName(op('{ trackTicket(ticketNumber: "x", email: "y") { id } }'))).toBe('query trackTicket');
  });
});
