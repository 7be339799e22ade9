// One of two processes on one store file (store-two-processes.test.ts): marks the same keys as
// its twin, records windows, and prints which keys it won, as JSON. Any error (such as "database is
// locked") is printed and exits 1.
const { sharedState } = require('../../dist');

const [folder, count, order] = process.argv.slice(2);
const state = sharedState({ kind: 'embedded', folder });
if (state.problem) {
  console.error(state.problem.message);
  process.exit(1);
}
(async () => {
  // Start barrier: both processes open the file, say "ready", and start when told "go" on stdin
  // (so neither finishes before the other has started, however slow the machine).
  process.stdout.write('ready\n');
  await new Promise((resolve) => process.stdin.once('data', resolve));
  process.stdin.pause();
  const won = [];
  // The twins walk the keys from opposite ends, so each wins the keys it reaches first whichever
  // one the machine schedules sooner (in the same order, the leader would win them all).
  for (let n = 0; n < Number(count); n++) {
    const i = order === 'descending' ? Number(count) - 1 - n : n;
    if (await state.store.dedupe.markIfNew(`k${i}`, 60_000, ['14155550100'])) won.push(i);
    await state.windowTracker.recordInbound('106540352242922', String(14155550000 + (i % 500)));
    // As the webhook path does before each 200: wait for the group commit (this yields a turn).
    await state.store.dedupe.flush();
    if (i % 100 === 0) state.store.sweep();
  }
  process.stdout.write(`${JSON.stringify({ won })}\n`);
})().catch((error) => {
  console.error(error && error.stack ? error.stack : String(error));
  process.exit(1);
});
