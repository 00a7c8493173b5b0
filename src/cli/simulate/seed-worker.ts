import { parentPort, workerData } from 'node:worker_threads';
import { runSeedList, type SeedWorkerReport, type SeedWorkerTask } from './run-seeds.ts';

// One worker thread of `paysaga simulate --jobs N`: its seeds, one after another, on its own PGlite; each result is
// posted as it ends (a result is plain data, so it crosses the thread boundary as it is).
const task = workerData as SeedWorkerTask;
const post = (report: SeedWorkerReport): void => { parentPort?.postMessage(report); };
try {
  await runSeedList(task.seeds, { sagas: task.sagas, ...(task.bug ? { bug: task.bug } : {}), onResult: (result) => { post({ kind: 'result', result }); } });
  post({ kind: 'done' });
} catch (error) {
  post({ kind: 'failed', message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
}
