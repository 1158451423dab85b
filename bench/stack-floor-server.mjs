// The stack floor: the floor's database work (floor-db.mjs) behind the two
// libraries every server on this stack runs, graphql-js and Apollo Server,
// with the API's own schema (schema.graphql) and plain resolvers, on
// node:http the way the API mounts Apollo. No type-graphql, no ODM, no
// validation, no logging, no metrics, no security headers. What the API
// costs above this floor is ours; what this floor costs above the bare
// one is the stack's. Usage:
//   MONGODB_URI=... PORT=0 node bench/stack-floor-server.mjs   (prints "stack floor ready at http://.../graphql")
import http from 'node:http';
import { readFileSync } from 'node:fs';
import { ApolloServer, HeaderMap } from '@apollo/server';
import {
  ApolloServerPluginCacheControlDisabled,
  ApolloServerPluginLandingPageDisabled,
} from '@apollo/server/plugin/disabled';
import { buildSchema } from 'graphql';
import { floorDatabase } from './floor-db.mjs';
import { floorResolvers } from './floor-resolvers.mjs';

const db = await floorDatabase(process.env.MONGODB_URI);
const schema = buildSchema(readFileSync(new URL('../schema.graphql', import.meta.url), 'utf8'));
const rootValue = floorResolvers(db);
// The API's Apollo settings that bear on cost: no cache-control hints, no landing page.
const apollo = new ApolloServer({
  schema,
  rootValue,
  csrfPrevention: false,
  plugins: [ApolloServerPluginCacheControlDisabled(), ApolloServerPluginLandingPageDisabled()],
});
await apollo.start();

const server = http.createServer((req, res) => {
  let body = '';
  req.on('data', (d) => {
    body += d;
  });
  req.on('end', async () => {
    const headers = new HeaderMap();
    for (const [name, value] of Object.entries(req.headers))
      if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
    const result = await apollo.executeHTTPGraphQLRequest({
      httpGraphQLRequest: { method: req.method ?? 'POST', headers, search: '', body: JSON.parse(body) },
      context: async () => ({}),
    });
    for (const [name, value] of result.headers) res.setHeader(name, value);
    res.statusCode = result.status ?? 200;
    res.end(result.body.kind === 'complete' ? result.body.string : '');
  });
});
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () =>
  console.log(`stack floor ready at http://127.0.0.1:${server.address().port}/graphql`),
);
process.on('SIGTERM', () => server.close(() => Promise.all([apollo.stop(), db.close()]).then(() => process.exit(0))));
