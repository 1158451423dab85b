// The time the breach checker decides by: the database server's clock
// (`hello.localTime`, on MongoDB), the same for every API process,
// whatever their own clocks say. An engine that does not tell its time
// (the embedded one, on the same machine as the processes it serves)
// falls back to this process's clock, said once in the log.
import type { Db } from 'mongodb';
import type { Logger } from '../logging/logger';

let warned = false;

export async function databaseNow(db: Db, log?: Logger): Promise<Date> {
  const hello = await db.admin().command({ hello: 1 });
  if (hello.localTime instanceof Date) return hello.localTime;
  if (!warned) {
    warned = true;
    log?.info(
      "sla: the database does not tell its time (hello.localTime); breaches are decided by this process's clock",
    );
  }
  return new Date();
}
