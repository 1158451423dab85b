// Loaded first by cli/serve.ts: OpenTelemetry's instrumentations patch
// http, mongodb and graphql when those are first required, so the SDK must
// start before anything else is imported. Does nothing unless the OTLP
// variables are set.
import { startTracing } from './tracing';

export const tracingStarted = startTracing();
