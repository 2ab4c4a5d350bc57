/** A Standard Webhooks secret: `whsec_` and the base64 of its key bytes. */
const SECRET = /^whsec_([A-Za-z0-9+/]+={0,2})$/;

/** The key bytes of a secret: the base64-decoded text after `whsec_`, not the text itself. */
export function secretBytes(secret: string): Uint8Array {
  const match = SECRET.exec(secret);
  if (!match) throw new TypeError('The secret must be the app\'s Standard Webhooks secret: whsec_ followed by base64.');
  const binary = atob(match[1]!);
  return Uint8Array.from(binary, (char) => char.charCodeAt(0));
}

export function assertSecret(secret: unknown, name = 'secret'): asserts secret is string {
  if (typeof secret !== 'string' || !SECRET.test(secret)) throw new TypeError(`${name} must be the app's Standard Webhooks secret: whsec_ followed by base64.`);
}
