// Profiles the process it is preloaded into and writes a .cpuprofile when it exits (node refuses
// --cpu-prof in NODE_OPTIONS, which is how the bench passes options to the worker it starts):
//   BENCH_WORKER_NODE_OPTIONS="--import /path/to/bench/lib/cpu-profile.mjs" BENCH_CPU_PROFILE_DIR=bench/.work/prof npm run bench
// Open the file in Chrome DevTools (Performance) or speedscope.
import { mkdirSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import path from 'node:path';

const dir = process.env.BENCH_CPU_PROFILE_DIR;
if (dir) {
  const session = new Session();
  session.connect();
  session.post('Profiler.enable');
  session.post('Profiler.setSamplingInterval', { interval: 500 });
  session.post('Profiler.start');
  process.on('exit', () => {
    // The in-process inspector answers synchronously, so this completes inside the exit handler.
    session.post('Profiler.stop', (err, result) => {
      if (err) return;
      mkdirSync(dir, { recursive: true });
      writeFileSync(path.join(dir, `worker-${process.pid}.cpuprofile`), JSON.stringify(result.profile));
    });
  });
}
