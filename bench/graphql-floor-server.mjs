// The graphql floor: the floor's database work (floor-db.mjs) behind
// graphql-js alone, on node:http, with the API's own schema and plain
// resolvers; each query is parsed and validated once and cached, as Apollo
// does. Between the bare floor and the stack floor: what graphql-js itself
// costs, apart from Apollo Server's request pipeline. Opt-in in the bench
// (BENCH_SERVERS=api,stack,graphql,floor). Usage:
//   MONGODB_URI=... PORT=0 node bench/graphql-floor-server.mjs   (prints "graphql floor ready at http://.../graphql")
import http from 'node:http';
import { readFileSync } from 'node:fs';
import { buildSchema, execute, parse, validate } from 'graphql';
import { floorDatabase } from './floor-db.mjs';
import { floorResolvers } from './floor-resolvers.mjs';

const db = await floorDatabase(process.env.MONGODB_URI);
const schema = buildSchema(readFileSync(new URL('../schema.graphql', import.meta.url), 'utf8'));
const rootValue = floorResolvers(db);
const documents = new Map();

/** The parsed, validated document of a query, from the cache after the first time. */
function documentOf(query) {
  let document = documents.get(query);
  if (!document) {
    document = parse(query);
    const errors = validate(schema, document);
    if (errors.length) throw errors[0];
    documents.set(query, document);
  }
  return document;
}

const server = http.createServer((req, res) => {
  let body = '';
  req.on('data', (d) => {
    body += d;
  });
  req.on('end', async () => {
    try {
      const { query, variables, operationName } = JSON.parse(body);
      const result = await execute({
        schema,
        document: documentOf(query),
        rootValue,
        variableValues: variables,
        operationName,
      });
      res
        .writeHead(200, { 'content-type': 'application/graphql-response+json; charset=utf-8' })
        .end(JSON.stringify(result));
    } catch (err) {
      res
        .writeHead(400, { 'content-type': 'application/json' })
        .end(JSON.stringify({ errors: [{ message: String(err) }] }));
    }
  });
});
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () =>
  console.log(`graphql floor ready at http://127.0.0.1:${server.address().port}/graphql`),
);
process.on('SIGTERM', () => server.close(() => db.close().then(() => process.exit(0))));
