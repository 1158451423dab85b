// The floor: the database work of floor-db.mjs behind node:http. No
// GraphQL, no ODM, no validation, no logging. Usage:
//   MONGODB_URI=... PORT=0 node bench/floor-server.mjs   (prints "floor ready at http://...")
import http from 'node:http';
import { floorDatabase } from './floor-db.mjs';

const db = await floorDatabase(process.env.MONGODB_URI);
const routes = {
  '/create': db.create,
  '/track': db.track,
  '/timeline': async (a) => (await db.track(a))?.timeline ?? null,
};

const server = http.createServer((req, res) => {
  let body = '';
  req.on('data', (d) => {
    body += d;
  });
  req.on('end', async () => {
    try {
      const out = await routes[req.url](JSON.parse(body));
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ data: out }));
    } catch (err) {
      res.writeHead(500).end(JSON.stringify({ errors: [{ message: String(err) }] }));
    }
  });
});
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () =>
  console.log(`floor ready at http://127.0.0.1:${server.address().port}`),
);
process.on('SIGTERM', () => server.close(() => db.close().then(() => process.exit(0))));
