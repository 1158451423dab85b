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
const col = db.collection('c');
const docs = Array.from({ length: N }, (_, j) => ({ _id: new ObjectId(), x: j }));
await t(`seed insertMany`, () => col.insertMany(docs, { ordered: false }));
const ids = docs.slice(0, 100).map((d) => d._id);
await t(`updateMany 100 $in`, () => col.updateMany({ _id: { $in: ids } }, { $set: { y: 1 } }));




console.log(await col.findOne({ _id: ids[5] }));
await t(`updateOne pipeline $$NOW`, () => col.updateOne({ _id: ids[0] }, [{ $set: { now: '$$NOW' } }]));
console.log(await col.findOne({ _id: ids[0] }));
await t(`insertOne into other small collection`, () => db.collection('small').insertOne({ a: 1 }));
const hello = await db.admin().command({ hello: 1 }); console.log('hello.localTime', hello.localTime);
await c.close(); child.kill();
