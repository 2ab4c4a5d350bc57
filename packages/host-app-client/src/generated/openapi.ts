/**
 * Generated from the gateway's OpenAPI document (src/http/openapi.json) by
 * openapi-typescript: do not edit; run `npm run generate` in this package.
 */
export interface paths {
    "/pick": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Start a pick (a browser navigation, not an API call)
         * @description The app sends its user's browser here, as a link or a redirect, with a request signed on the app's server. The gateway checks it, creates the pick and redirects the browser to the pick's consent page (sign-in with Google first if needed). When the pick ends, the browser goes back to the request's `return_to` with `pick`, `status` and `state` added to its query (a popup posts `{pick, status, state}` to the app's window instead). Any fault in the request is `400` and creates nothing.
         */
        get: operations["startPick"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/picks/{pick}/progress": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * How a popup's pick goes, for the app's page
         * @description Called from the app's page (a CORS request from the pick's `return_to` origin, without credentials) with the ticket the popup posted. About once a second while the import runs is fine; the answer comes from the gateway's store, never from Google.
         */
        get: operations["getPickProgress"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/picks/{pick}/settle": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * The popup has closed: settle the pick
         * @description Sent by the app's page once the popup has closed after the person went on to Google's picker: either Done (the picker closes itself) or the person closed it. While the pick is `picking`, the gateway asks Google once, at the first call, whether anything was picked: nothing, and the pick ends `cancelled` (its webhook is sent); something, and the import goes on. In any other state the pick is left as it is. No body; the answer is the pick's progress after it.
         */
        post: operations["settlePick"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/picks/{pick}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * A pick's outcome
         * @description The pick as the app reads it; the same object is the `data` of the `pick.completed` webhook. Another app's pick is `404`.
         */
        get: operations["getPick"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/picks/{pick}/items/{itemId}/content": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * An imported item's bytes
         * @description Streams the stored copy of one imported item (`items[].id` of the pick), in whole or one byte range. Proxy the bytes to your users; never hand them the secret.
         */
        get: operations["getItemContent"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        /** An imported item's headers, without its bytes */
        head: operations["headItemContent"];
        patch?: never;
        trace?: never;
    };
    "/api/v1/openapi.json": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * This document
         * @description Public: no secret, no cookies; any origin may read it (CORS). `servers` names the gateway that serves it.
         */
        get: operations["getOpenApiDocument"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
}
export interface webhooks {
    "pick.completed": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * A pick ended
         * @description Sent to the app's `webhookUrl` when a pick ends (any of `done`, `partial`, `failed`, `cancelled`, `expired`), signed per Standard Webhooks with the app's first secret. Verify the signature on the raw body before parsing it, and that `webhook-timestamp` is recent (5 minutes). Delivered at least once: a timeout (10 s), a network error or an answer other than 2xx is retried with growing delays for up to 24 hours, with the same `webhook-id` (handle each id once); `410` stops the retries; redirects are not followed. The webhook says what happened to a pick, not who may have it: credit a pick to a customer only when that customer's own session comes back to `return_to` with the `state` it was issued.
         */
        post: operations["pickCompleted"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
}
export interface components {
    schemas: {
        PickProgress: {
            pick: string;
            status: components["schemas"]["PickStatus"];
            /** @description Counts of the import's items once it has listed them (else null): names, bytes and reasons are the API's. */
            items: {
                total: number;
                done: number;
                failed: number;
            } | null;
            /** @description Once the pick has ended: what the full-page flow brings back to `return_to` (and what embed.js resolves with); else null. */
            ended: {
                pick: string;
                /** @enum {string} */
                status: "done" | "partial" | "failed" | "cancelled" | "expired";
                state: string | null;
            } | null;
        };
        /** @example 1.0.0 */
        ApiVersion: string;
        /** @example print-shop */
        AppId: string;
        /**
         * PickRequestClaims
         * @description The claims of the signed request that starts a pick (the JWT's payload). Claims not listed are ignored.
         */
        PickRequestClaims: {
            /** @description The app's id. */
            iss: components["schemas"]["AppId"];
            /**
             * Format: uri
             * @description The gateway's PUBLIC_URL; a trailing slash does not matter.
             */
            aud: string;
            /** @description The app's reference for its user; their imports go to a folder derived from it. */
            sub: string;
            /** @description Issued at, in seconds since the epoch; at most 30 s in the future. */
            iat: number;
            /** @description Expires at, in seconds since the epoch: at most 600 s after `iat`. */
            exp: number;
            /** @description Random and single use: a request presented twice is refused. */
            jti: string;
            /**
             * Format: uri
             * @description Where the browser goes back to: an absolute http(s) URL without credentials, whose origin is one of the app's returnOrigins exactly. `pick`, `status` and `state` are added to its query.
             */
            return_to: string;
            /** @description The most items the user may pick; capped by the app's maxItems (the app's maxItems when absent). */
            max_items?: number;
            /** @description Echoed back to return_to and in the API: a random value the app issued to this user, to check on their return. */
            state?: string;
            /** @description The app's label for its user (e.g. `ana@printshop`), shown on the consent page so the person picking sees whose account the photos are for. */
            account?: string;
        };
        /**
         * @description `pending`: not yet continued; `picking`: the user is in Google's picker; `importing`: copying. The end statuses: `done` (every item copied), `partial` (some failed), `failed` (none copied), `cancelled` (the user said no, closed the popup, or the Picker session was deleted or the user signed out before the import ended), `expired` (the Picker session ran out before Done).
         * @enum {string}
         */
        PickStatus: "pending" | "picking" | "importing" | "done" | "partial" | "failed" | "cancelled" | "expired";
        /** @description One picked item and its stored copy, as in the import's manifest. */
        ImportedItem: {
            /** @description Google's media item id; the `itemId` of the content route. */
            id: string;
            /** @description Where the copy is stored in the gateway's destination, under `apps/{app}/…`. */
            key: string;
            /** @description Where its preview is stored. */
            previewKey: string;
            /** @description The item's file name, cleaned to be safe as a file name. */
            filename: string;
            mimeType: string | null;
            /** @enum {string} */
            type: "PHOTO" | "VIDEO" | "TYPE_UNSPECIFIED";
            /** Format: date-time */
            createTime: string | null;
            width: number | null;
            height: number | null;
            /** @description The bytes copied so far (all of them once `done`). */
            bytes: number;
            /** @description The copy's SHA-256 (hex), once done. */
            sha256: string | null;
            /** @enum {string} */
            status: "queued" | "copying" | "done" | "failed";
            /** @description Why the copy failed. */
            error: string | null;
        };
        /** @description How the pick's webhook stands. */
        WebhookState: {
            /**
             * @description `none`: the app has no webhookUrl, or the pick has not ended.
             * @enum {string}
             */
            status: "none" | "pending" | "delivered" | "failed";
            attempts: number;
            /** @description What the last failed try met (a status and the start of the answer, a timeout, a network error). */
            lastError: string | null;
        };
        /** @description A pick as its app reads it: the body of GET /api/v1/picks/{pick} and the `data` of the pick.completed webhook. */
        Pick: {
            /** @description The gateway's id of the pick (not Google's session id). */
            id: string;
            app: components["schemas"]["AppId"];
            /** @description The request's `sub`. */
            sub: string;
            /** @description The request's `state`. */
            state: string | null;
            status: components["schemas"]["PickStatus"];
            /** Format: date-time */
            createdAt: string;
            /**
             * Format: date-time
             * @description When the pick ended.
             */
            completedAt: string | null;
            items: components["schemas"]["ImportedItem"][];
            webhook: components["schemas"]["WebhookState"];
        };
        /** @description The body of a pick.completed delivery. */
        PickCompletedEvent: {
            /** @constant */
            type: "pick.completed";
            /**
             * Format: date-time
             * @description When the pick ended.
             */
            timestamp: string;
            data: components["schemas"]["Pick"];
        };
        /** @description Problem details (RFC 9457). `code` is the machine-readable reason; `title` and `detail` are for people. */
        Problem: {
            /** @constant */
            type: "about:blank";
            title: string;
            status: number;
            detail: string;
            /**
             * @example UNAUTHENTICATED
             * @example NOT_FOUND
             * @example INVALID_PICK_REQUEST
             * @example SERVICE_UNAVAILABLE
             * @example INTERNAL
             */
            code: string;
            /** @description What a person can do next, in the language asked for (Accept-Language): written for the gateway's own pages, so an app shows its own words instead. */
            advice?: string;
            /** @description Links a person could follow on the gateway (the gateway's own pages' buttons); not for apps. */
            actions?: {
                href: string;
                label: string;
            }[];
            /** @description The request's id in the gateway's log: quote it when asking for help. */
            requestId?: string;
        };
    };
    responses: {
        /** @description How the pick goes. Readable by the pick's `return_to` origin only (CORS, without credentials). */
        PickProgress: {
            headers: {
                "API-Version": components["headers"]["ApiVersion"];
                "Cache-Control"?: "no-store";
                /** @description The pick's `return_to` origin. */
                "Access-Control-Allow-Origin": string;
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["PickProgress"];
            };
        };
        /** @description No such pick, no ticket, a wrong ticket, or a request from another origin than the pick's `return_to`: the same answer for each, with no CORS allowance, so a page without the ticket learns nothing. Code `NOT_FOUND`. */
        NoTicket: {
            headers: {
                "API-Version": components["headers"]["ApiVersion"];
                [name: string]: unknown;
            };
            content: {
                "application/problem+json": components["schemas"]["Problem"];
            };
        };
        /** @description Too many requests from this address. Code `RATE_LIMITED`. */
        RateLimited: {
            headers: {
                /** @description Seconds to wait before trying again. */
                "Retry-After"?: string;
                "API-Version": components["headers"]["ApiVersion"];
                [name: string]: unknown;
            };
            content: {
                "application/problem+json": components["schemas"]["Problem"];
            };
        };
        /** @description The whole item. */
        Content: {
            headers: {
                "API-Version": components["headers"]["ApiVersion"];
                "Content-Type": components["headers"]["ContentType"];
                "Content-Length": components["headers"]["ContentLength"];
                "Accept-Ranges"?: "bytes";
                "Cache-Control": components["headers"]["ContentCacheControl"];
                "Content-Disposition": components["headers"]["ContentDisposition"];
                "X-Content-Type-Options": components["headers"]["NoSniff"];
                "Content-Security-Policy": components["headers"]["SandboxCsp"];
                [name: string]: unknown;
            };
            content: {
                "*/*": string;
            };
        };
        /** @description The one byte range asked for. */
        PartialContent: {
            headers: {
                "API-Version": components["headers"]["ApiVersion"];
                "Content-Type": components["headers"]["ContentType"];
                "Content-Length": components["headers"]["ContentLength"];
                "Content-Range": components["headers"]["ContentRange"];
                "Accept-Ranges"?: "bytes";
                "Cache-Control": components["headers"]["ContentCacheControl"];
                "Content-Disposition": components["headers"]["ContentDisposition"];
                "X-Content-Type-Options": components["headers"]["NoSniff"];
                "Content-Security-Policy": components["headers"]["SandboxCsp"];
                [name: string]: unknown;
            };
            content: {
                "*/*": string;
            };
        };
        /** @description The range starts past the item's end. No body. */
        RangeNotSatisfiable: {
            headers: {
                /** @description `bytes *\/{size}`: the item's size. */
                "Content-Range"?: string;
                [name: string]: unknown;
            };
            content?: never;
        };
        /** @description No `Authorization: Bearer`, or a secret of no app. Code `UNAUTHENTICATED`. */
        Unauthenticated: {
            headers: {
                "WWW-Authenticate"?: string;
                "API-Version": components["headers"]["ApiVersion"];
                [name: string]: unknown;
            };
            content: {
                "application/problem+json": components["schemas"]["Problem"];
            };
        };
        /** @description No such pick of this app (another app's pick included), no such imported item in it, or no such route. Code `NOT_FOUND`. */
        NotFound: {
            headers: {
                "API-Version": components["headers"]["ApiVersion"];
                [name: string]: unknown;
            };
            content: {
                "application/problem+json": components["schemas"]["Problem"];
            };
        };
        /** @description The gateway or its storage is briefly unavailable (`503`, `SERVICE_UNAVAILABLE`, with `Retry-After` when it knows) or failed (`500`, `INTERNAL`). Safe to retry with backoff: every route here only reads. */
        ServerError: {
            headers: {
                /** @description Seconds to wait before trying again. */
                "Retry-After"?: string;
                "API-Version": components["headers"]["ApiVersion"];
                [name: string]: unknown;
            };
            content: {
                "application/problem+json": components["schemas"]["Problem"];
            };
        };
    };
    parameters: {
        /** @description The pick's id: the `pick` the browser came back with, or `data.id` of the webhook. */
        PickId: string;
        /** @description An imported item's `id` (Google's media item id). */
        ItemId: string;
        /** @description One byte range (`bytes=0-1023`, `bytes=1024-`, `bytes=-500`). Several ranges, or a malformed header, get the whole item (`200`), as HTTP allows. */
        Range: string;
        /** @description `1`: `Content-Disposition: attachment` with the item's filename. */
        Download: "1";
    };
    requestBodies: never;
    headers: {
        /** @description The version of this document the answer follows (`info.version`). */
        ApiVersion: components["schemas"]["ApiVersion"];
        /** @description The bytes in this answer. */
        ContentLength: number;
        /** @description `bytes {first}-{last}/{size}`. */
        ContentRange: string;
        /** @description The item's type as imported (`image/…`, `video/…`). A type that could run as a page on the gateway's origin is served as `application/octet-stream` instead. */
        ContentType: string;
        /** @description `attachment; filename=…` with `download=1`, and for any item that is not an image or a video. */
        ContentDisposition: string;
        /** @description Browsers must not guess another type. */
        NoSniff: "nosniff";
        /** @description The bytes never run as a page of the gateway's origin. */
        SandboxCsp: string;
        /** @description Private: the bytes are the app's only. */
        ContentCacheControl: string;
    };
    pathItems: never;
}
export type $defs = Record<string, never>;
export interface operations {
    startPick: {
        parameters: {
            query: {
                /** @description The app's id, as configured in the gateway's APPS. */
                app: components["schemas"]["AppId"];
                /** @description The signed request: a JWT (JWS compact serialization), `alg` HS256 only, keyed with the bytes of one of the app's secrets (the base64-decoded text after `whsec_`, not the text itself), whose claims are `PickRequestClaims`. At most 8 KiB. `exp` is at most 600 s after `iat` (30 s of clock skew allowed); `jti` is single use. */
                request: string;
                /** @description `popup` when the pick runs in a popup opened by embed.js: its end is posted to the opener (the `return_to` origin only) instead of a redirect. Not signed: it only chooses how the outcome travels. */
                mode?: "popup";
                /** @description `2` (with `mode=popup`, as embed.js v2 sends it) when the app's page follows the pick itself: at Continue the popup's page posts `{source: "photos-picker-gateway", type: "picking", pick, ticket}` to the app's window (the `return_to` origin only) and becomes Google's picker, which closes itself after Done; the app's page then reads the pick with the ticket (`/picks/{pick}/progress`). Without it the popup opens the picker beside itself and posts the end, as embed.js v1 expects. */
                embed?: "2";
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The pick is created; the browser goes to its consent page. */
            303: {
                headers: {
                    /** @description `/picks/{id}`, the pick's page. */
                    Location?: string;
                    "Cache-Control"?: "no-store";
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description The request is missing, malformed, expired, replayed, signed with a wrong key or algorithm, for another gateway, or returns to an origin the app did not list. A page in the user's language, or problem details with code `INVALID_PICK_REQUEST` when JSON is asked for. The log says why; the answer does not. */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                    "text/html": string;
                };
            };
        };
    };
    getPickProgress: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description The pick's id: the `pick` the browser came back with, or `data.id` of the webhook. */
                pick: components["parameters"]["PickId"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: components["responses"]["PickProgress"];
            404: components["responses"]["NoTicket"];
            429: components["responses"]["RateLimited"];
            "5XX": components["responses"]["ServerError"];
        };
    };
    settlePick: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description The pick's id: the `pick` the browser came back with, or `data.id` of the webhook. */
                pick: components["parameters"]["PickId"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: components["responses"]["PickProgress"];
            404: components["responses"]["NoTicket"];
            429: components["responses"]["RateLimited"];
            "5XX": components["responses"]["ServerError"];
        };
    };
    getPick: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description The pick's id: the `pick` the browser came back with, or `data.id` of the webhook. */
                pick: components["parameters"]["PickId"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The pick. */
            200: {
                headers: {
                    "API-Version": components["headers"]["ApiVersion"];
                    "Cache-Control"?: "no-store";
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Pick"];
                };
            };
            401: components["responses"]["Unauthenticated"];
            404: components["responses"]["NotFound"];
            "5XX": components["responses"]["ServerError"];
        };
    };
    getItemContent: {
        parameters: {
            query?: {
                /** @description `1`: `Content-Disposition: attachment` with the item's filename. */
                download?: components["parameters"]["Download"];
            };
            header?: {
                /** @description One byte range (`bytes=0-1023`, `bytes=1024-`, `bytes=-500`). Several ranges, or a malformed header, get the whole item (`200`), as HTTP allows. */
                Range?: components["parameters"]["Range"];
            };
            path: {
                /** @description The pick's id: the `pick` the browser came back with, or `data.id` of the webhook. */
                pick: components["parameters"]["PickId"];
                /** @description An imported item's `id` (Google's media item id). */
                itemId: components["parameters"]["ItemId"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: components["responses"]["Content"];
            206: components["responses"]["PartialContent"];
            401: components["responses"]["Unauthenticated"];
            404: components["responses"]["NotFound"];
            416: components["responses"]["RangeNotSatisfiable"];
            "5XX": components["responses"]["ServerError"];
        };
    };
    headItemContent: {
        parameters: {
            query?: {
                /** @description `1`: `Content-Disposition: attachment` with the item's filename. */
                download?: components["parameters"]["Download"];
            };
            header?: {
                /** @description One byte range (`bytes=0-1023`, `bytes=1024-`, `bytes=-500`). Several ranges, or a malformed header, get the whole item (`200`), as HTTP allows. */
                Range?: components["parameters"]["Range"];
            };
            path: {
                /** @description The pick's id: the `pick` the browser came back with, or `data.id` of the webhook. */
                pick: components["parameters"]["PickId"];
                /** @description An imported item's `id` (Google's media item id). */
                itemId: components["parameters"]["ItemId"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description As GET, without the body. */
            200: {
                headers: {
                    "Content-Length": components["headers"]["ContentLength"];
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description As GET, without the body. */
            206: {
                headers: {
                    "Content-Range": components["headers"]["ContentRange"];
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description As GET, without the body. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description As GET, without the body. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            416: components["responses"]["RangeNotSatisfiable"];
        };
    };
    getOpenApiDocument: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The document. */
            200: {
                headers: {
                    "API-Version": components["headers"]["ApiVersion"];
                    /** @description Public and cacheable for an hour. */
                    "Cache-Control"?: string;
                    ETag?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": Record<string, never>;
                };
            };
            /** @description Not modified (If-None-Match). */
            304: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    pickCompleted: {
        parameters: {
            query?: never;
            header: {
                /** @description The event's id, the same on every try: `msg_` + the pick's id. */
                "webhook-id": string;
                /** @description This try's time, in seconds since the epoch; covered by the signature. */
                "webhook-timestamp": string;
                /** @description `v1,` + base64 HMAC-SHA256 of `{webhook-id}.{webhook-timestamp}.{body}`, keyed with the bytes of the app's first secret. */
                "webhook-signature": string;
                /** @description The version of this document the body follows. */
                "API-Version": components["schemas"]["ApiVersion"];
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["PickCompletedEvent"];
            };
        };
        responses: {
            /** @description Gone: the gateway stops trying this delivery. */
            410: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Received: no more tries. Answer at once; do slow work after. */
            "2XX": {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Anything else (a redirect included) is a failed try, retried later. */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
}
