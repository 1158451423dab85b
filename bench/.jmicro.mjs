import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { MongoClient, ObjectId } from 'mongodb';
const bin = '/work/wt/sla/node_modules/@jongodb/memory-server-bin-linux-x64-gnu/bin/jongodb';
const child = spawn(bin, ['--host=127.0.0.1', '--port=0', '--database=m']);
const uri = await new Promise((res) => { let b=''; child.stdout.on('data', (d) => { b += d; const m = /JONGODB_URI=(\S+)/.exec(b); if (m) res(m[1]); }); });
const cpu = () => { const f = readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1].split(' '); return (Number(f[11]) + Number(f[12])) * 10; };
const c = new MongoClient(uri); await c.connect(); const db = c.db('m');
const N = Number(process.argv[2] ?? 10000);
const t = async (label, fn) => { const e = cpu(); const w = performance.now(); await fn(); console.log(`N=${N} ${label}: engine ${cpu() - e} ms, wall ${Math.round(performance.now() - w)} ms`); };
for (const k of (process.argv[3] ?? "0,1,6").split(",").map(Number)) {
  const col = db.collection(`c${k}`);
  for (let i = 0; i < k; i++) await col.createIndex({ [`f${i}`]: 1, _id: 1 }, i === 0 ? {} : {});
  const docs = Array.from({ length: N }, (_, j) => ({ _id: new ObjectId(), x: j, f0: j, f1: j, f2: j, f3: j, f4: j, f5: j }));
  await t(`k=${k} seed ${N} insertMany`, () => col.insertMany(docs, { ordered: false }));
  const ids = docs.slice(0, 100).map((d) => d._id);
  await t(`k=${k} insertMany 100`, () => col.insertMany(Array.from({ length: 100 }, (_, j) => ({ _id: new ObjectId(), x: j, f0: j })), { ordered: false }));
  await t(`k=${k} insertOne x1`, () => col.insertOne({ _id: new ObjectId(), x: 1 }));
  await t(`k=${k} updateMany 100 $in non-indexed field`, () => col.updateMany({ _id: { $in: ids } }, { $set: { y: 1 } }));
  await t(`k=${k} updateMany 100 $in indexed field`, () => col.updateMany({ _id: { $in: ids } }, { $set: { f0: -1 } }));
  await t(`k=${k} updateMany 1 $in`, () => col.updateMany({ _id: { $in: ids.slice(0, 1) } }, { $set: { y: 2 } }));
  await t(`k=${k} updateMany 0 matched`, () => col.updateMany({ _id: { $in: [new ObjectId()] } }, { $set: { y: 2 } }));
  await t(`k=${k} find $in 100`, () => col.find({ _id: { $in: ids } }).toArray());
  await t(`k=${k} deleteMany 100`, () => col.deleteMany({ _id: { $in: ids } }));
}
await c.close(); child.kill();
