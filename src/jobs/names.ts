/**
 * The names of the background jobs, one meaning each. Every job carries only
 * ids (a user id, a Picker session id, an item id, a pick id) and counters,
 * never a token or a URL: its handler calls the same domain services a request
 * would.
 */
export const JOB = {
  /** Delete a Picker session at Google once it is finished, timed out or expired. */
  reapSession: 'reap-session',
  /** One round of following a pending Picker session in the background. */
  followSession: 'follow-session',
  /** List a completed session's items and add the import's flow: a copy per item, then its finish. */
  planImport: 'plan-import',
  /** Copy one item and its preview into the destination (a child of the import's flow). */
  copyItem: 'copy-item',
  /** Once every copy of a round has settled: write the manifest, delete the Picker session at Google, end the pick. */
  finishImport: 'finish-import',
  /** POST an ended pick to its app's webhookUrl (one try per attempt; the queue spaces the retries). */
  deliverWebhook: 'deliver-webhook',
} as const;
