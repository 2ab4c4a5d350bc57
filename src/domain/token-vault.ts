/**
 * Google tokens are kept in the shared store only in encrypted
 * form (AES-256-GCM, a fresh 96-bit nonce each time), so a leaked store dump
 * or Redis snapshot holds no usable token. The first key encrypts; every key
 * decrypts, which lets operators rotate TOKEN_ENCRYPTION_KEY without signing
 * everyone out.
 */
import { createCipheriv, createDecipheriv, createHash, createSecretKey, randomBytes, type KeyObject } from 'node:crypto';
import type { GoogleTokens } from './ports.ts';

const VERSION = 'v1';

export class TokenVault {
  readonly #keys: ReadonlyArray<{ id: string; key: KeyObject }>;

  constructor(keys: readonly Buffer[]) {
    if (keys.length === 0) throw new Error('TokenVault needs at least one key');
    // A short key id lets decryption go straight to the right key after rotation; KeyObjects are imported once.
    this.#keys = keys.map((key) => ({ id: createHash('sha256').update(key).digest('base64url').slice(0, 8), key: createSecretKey(key) }));
  }

  seal(tokens: GoogleTokens): string {
    const { id, key } = this.#keys[0]!;
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    cipher.setAAD(Buffer.from(`${VERSION}.${id}`));
    const body = Buffer.concat([cipher.update(JSON.stringify(tokens), 'utf8'), cipher.final()]);
    return [VERSION, id, iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), body.toString('base64url')].join('.');
  }

  /** Returns undefined when the blob cannot be opened (unknown key, tampering); the caller treats it as signed out. */
  open(sealed: string | undefined): GoogleTokens | undefined {
    if (!sealed) return undefined;
    const [version, id, iv, tag, body] = sealed.split('.');
    if (version !== VERSION || !id || !iv || !tag || !body) return undefined;
    const entry = this.#keys.find((k) => k.id === id);
    if (!entry) return undefined;
    try {
      const decipher = createDecipheriv('aes-256-gcm', entry.key, Buffer.from(iv, 'base64url'));
      decipher.setAAD(Buffer.from(`${VERSION}.${id}`));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      const plain = Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]);
      return JSON.parse(plain.toString('utf8')) as GoogleTokens;
    } catch {
      return undefined;
    }
  }
}
