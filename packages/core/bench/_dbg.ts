import { graph401Storm } from './graph-401-storm.bench.js';
const n = Number(process.argv[2]);
const r = await graph401Storm({ concurrency: n });
console.log(r.table); console.log(r.notes, r.checks);
process.exit(0);
