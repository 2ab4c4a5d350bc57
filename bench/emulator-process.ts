/**
 * The emulator in a process of its own for benchmarks, so generating media
 * bytes does not share an event loop with the gateway being measured.
 * Prints one JSON line {url} when ready.
 */
import { createEmulator } from '@photos-picker-gateway/google-emulator';

const emulator = createEmulator({
  largeVideoBytes: Number(process.env.LARGE_VIDEO_BYTES ?? 1024 ** 3),
  largeVideoCount: Number(process.env.LARGE_VIDEO_COUNT ?? 1),
  ...(process.env.LIBRARY_SIZE ? { librarySize: Number(process.env.LIBRARY_SIZE) } : {}),
  clients: JSON.parse(process.env.EMULATOR_CLIENTS ?? '[]'),
  // One Google account per benchmark user, as real users have.
  extraAccounts: Number(process.env.EXTRA_ACCOUNTS ?? 0),
  // The benchmark creates many sessions per person over a run, so Google's per-user cap on open sessions is lifted.
  knobs: { maxOpenSessionsPerUser: 1_000_000_000, pollIntervalSeconds: Number(process.env.POLL_INTERVAL_SECONDS ?? 1) },
});
await emulator.listen(0, '127.0.0.1');
console.log(JSON.stringify({ url: emulator.url }));
process.on('SIGTERM', () => void emulator.close().then(() => process.exit(0)));
