/**
 * The least a production start needs (a Google client, a session secret, a key for the stored tokens, an https
 * PUBLIC_URL behind one proxy).
 */
export const productionEnv = {
  NODE_ENV: 'production',
  GOOGLE_CLIENT_ID: 'client.apps.googleusercontent.com',
  GOOGLE_CLIENT_SECRET: 'secret',
  SESSION_SECRET: 'a'.repeat(32),
  TOKEN_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64'),
  PUBLIC_URL: 'https://photos.example.com',
  TRUST_PROXY: '1',
};
