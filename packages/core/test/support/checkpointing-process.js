// Another process on a store file, checkpointing it (truncate-log.test.ts): opens the file, says
// "start" and at once copies its whole log into it (a PASSIVE checkpoint, as SQLite runs after
// commits), then prints the result and exits.
const { openSqlite } = require('../../dist');

const db = openSqlite(process.argv[2]);
process.stdout.write('start\n');
const result = db.prepare('PRAGMA wal_checkpoint(PASSIVE)').get();
process.stdout.write(`${JSON.stringify(result)}\n`);
db.close();
