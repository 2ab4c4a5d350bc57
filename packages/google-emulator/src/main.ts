/** `npm run emulator`: the Google emulator alone, for trying the gateway or another client against it. */
import { createEmulator } from './index.ts';

const port = Number(process.env.EMULATOR_PORT ?? 3001);
const publicUrl = process.env.EMULATOR_PUBLIC_URL ?? `http://localhost:${port}`;
const redirectUris = (process.env.EMULATOR_REDIRECT_URIS ?? 'http://localhost:3000/auth/google/callback').split(',').map((u) => u.trim());

const emulator = createEmulator({ publicUrl, clients: [{ clientId: 'emulator-client', clientSecret: 'emulator-secret', redirectUris }] });
await emulator.listen(port, process.env.EMULATOR_HOST ?? '127.0.0.1');
console.log(`Google emulator listening on ${emulator.url} (client emulator-client / emulator-secret; redirect URIs: ${redirectUris.join(', ')})`);
for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => void emulator.close().then(() => process.exit(0)));
