/**
 * The version of the gateway's contract (its OpenAPI document's info.version) this package speaks. The gateway
 * sends its own as the API-Version header of every API answer and webhook delivery; a new major version there
 * means a new path (/api/v2) and a new release of this package.
 */
export const apiVersion = '1.1.0';
