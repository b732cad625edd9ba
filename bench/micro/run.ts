/** `npm run bench:micro`: the hot paths, each timed in this process. */
import { run as fanout } from "./fanout.ts";
import { run as frame } from "./frame.ts";
import { run as json } from "./json-decode.ts";
import { run as socketWrite } from "./socket-write.ts";
import { run as store, runRate as storeAtRate, runBatch as storeBatch } from "./store.ts";

await frame();
await fanout();
await json();
await store();
for (const rate of [1000, 4000, 8000]) await storeAtRate(rate);
for (const size of [1, 4, 16, 64]) await storeBatch(size);
await socketWrite();
