/**
 * What the gateway keeps in a user's server-side session. Declared once here
 * so every module reads and writes the same, typed shape.
 */
import 'express-session';

/** A sign-in in progress: one-time, bound to this browser's session. */
export interface PendingSignIn {
  state: string;
  codeVerifier: string;
  returnTo: string;
  startedAt: number;
}

export interface SignedInUser {
  sub: string;
  email: string;
  name?: string;
  picture?: string;
  authenticatedAt: number;
}

/**
 * A Picker session this user created through the gateway, as remembered in their session, keyed by its id.
 * Only these ids are served. Kept small on purpose: the session is read, hashed and written on every request;
 * everything else Google said about the session lives in the shared cache.
 */
export interface RememberedPickerSession {
  createdAt: number;
  /** Google's expireTime, in epoch milliseconds. */
  expiresAt: number;
}

export interface OwnedPickerSession extends RememberedPickerSession {
  id: string;
}

declare module 'express-session' {
  interface SessionData {
    signIn: PendingSignIn;
    user: SignedInUser;
    /** Encrypted GoogleTokens (see TokenVault). */
    googleTokens: string;
    pickerSessions: Record<string, RememberedPickerSession>;
  }
}
