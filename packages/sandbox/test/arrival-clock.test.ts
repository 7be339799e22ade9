/**
 * The sandbox's sliding reading records an accepted request at the earliest time it can have
 * arrived, so its own stalls never make a correct sender look too fast. A request read in a turn
 * may have arrived while the turn before it was busy: that busy turn's start is the bound, not the
 * heartbeat that ran after it.
 */
import { ArrivalClock } from '../src/buckets';

test('a request read after a busy turn may have arrived at that turn\'s start: earliest() is not later', async () => {
  const clock = new ArrivalClock();
  try {
    await new Promise((resolve) => setTimeout(resolve, 5)); // heartbeats run
    const busyFrom = ArrivalClock.now();
    while (ArrivalClock.now() - busyFrom < 30) {
      // the previous turn is busy; a request arriving now is read in the next one
    }
    // The next turn: its heartbeat runs first (it fell due during the busy turn), then the read.
    const earliest = await new Promise<number>((resolve) => setTimeout(() => resolve(clock.earliest()), 0));
    expect(earliest).toBeLessThanOrEqual(busyFrom + 1);
    // And it moves on: not stuck in the past once the loop runs again.
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(ArrivalClock.now() - clock.earliest()).toBeLessThan(200);
  } finally {
    clock.stop();
  }
});
