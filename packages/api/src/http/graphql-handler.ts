// Apollo Server on plain node:http, through Apollo's own integration API
// (executeHTTPGraphQLRequest): the request as Apollo wants it in, Apollo's
// answer out. What Express did around it costs more than the rest of a
// lookup (measured in bench), and none of it was needed here.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HeaderMap, type ApolloServer, type BaseContext } from '@apollo/server';
import { inOperationSpan } from '../telemetry/tracing';

export function graphqlHandler<C extends BaseContext>(
  apollo: ApolloServer<C>,
  context: (req: IncomingMessage, res: ServerResponse) => Promise<C>,
) {
  return async (req: IncomingMessage, res: ServerResponse, body: unknown): Promise<void> => {
    const headers = new HeaderMap();
    for (const [name, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
    }
    const url = req.url ?? '';
    const q = url.indexOf('?');
    const result = await inOperationSpan(() =>
      apollo.executeHTTPGraphQLRequest({
        httpGraphQLRequest: {
          method: (req.method ?? 'GET').toUpperCase(),
          headers,
          search: q >= 0 ? url.slice(q) : '',
          body,
        },
        context: () => context(req, res),
      }),
    );
    for (const [name, value] of result.headers) res.setHeader(name, value);
    res.statusCode = result.status ?? 200;
    if (result.body.kind === 'complete') {
      res.end(result.body.string);
      return;
    }
    for await (const chunk of result.body.asyncIterator) res.write(chunk);
    res.end();
  };
}
