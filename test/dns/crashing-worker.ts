// A DNS worker thread that crashes (threads.test.ts): the real worker, and thread 1 throws an
// uncaught exception once it has listened for a moment, as a bug in a worker would.
import { workerData } from "node:worker_threads";
import "../../src/dns/worker-main.js";

if ((workerData as { thread: number }).thread === 1) {
  setTimeout(() => { throw new Error("deliberate crash of dns worker thread 1"); }, 300);
}
