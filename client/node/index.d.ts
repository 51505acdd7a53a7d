// Types of the agauthd npm package (client/node).  README.md has the prose.

import { EventEmitter } from 'node:events';

/** jsonwebtoken 9's sign options (agauthd holds the key: `keyid` and
 *  `header.kid` are its to set). */
export interface SignOptions {
	algorithm?: string;
	expiresIn?: string | number;
	notBefore?: string | number;
	audience?: string | string[];
	issuer?: string;
	subject?: string;
	jwtid?: string;
	noTimestamp?: boolean;
	header?: Record<string, unknown>;
	encoding?: string;
	mutatePayload?: boolean;
	allowInsecureKeySizes?: boolean;
	allowInvalidAsymmetricKeyTypes?: boolean;
	/** ag-auth's: removed before signing */
	socket?: unknown;
	[option: string]: unknown;
}

/** jsonwebtoken 9's verify options. */
export interface VerifyOptions {
	algorithms?: string[] | string;
	/** a RegExp (alone or in an array) is checked in this process, as
	 *  jsonwebtoken checks it */
	audience?: string | RegExp | Array<string | RegExp>;
	issuer?: string | string[];
	subject?: string;
	jwtid?: string;
	nonce?: string;
	maxAge?: string | number;
	clockTimestamp?: number;
	clockTolerance?: number;
	ignoreExpiration?: boolean;
	ignoreNotBefore?: boolean;
	complete?: boolean;
	allowInvalidAsymmetricKeyTypes?: boolean;
	/** ag-auth's: removed before verifying */
	socket?: unknown;
	[option: string]: unknown;
}

export interface CompleteToken {
	header: Record<string, unknown>;
	payload: Record<string, unknown> | string;
	signature: string;
}

export interface AuthEngineOptions {
	/** default: process.env.AGAUTHD_SOCKET, then '/run/agauthd/agauthd.sock' */
	socketPath?: string;
	/** ms a connect, hello or request may take (default 30000; 0: no limit) */
	timeout?: number;
	/** ms between pings that report cache hits to agauthd (default 1000) */
	reportInterval?: number;
	/** ms a request made while agauthd is down waits for it to come
	 * back before it fails (default 2000; 0: fail at once) */
	reconnectWait?: number;
}

export type RevokeWhat = { sub: string } | { jti: string } | { token: string };

export interface RevokeResult {
	/** cache entries the revocation removed */
	purged: number;
	/** false: it matched no live token agauthd knows of (its cache held
	 * none; for a token, it is expired or not a token) - most often a
	 * misspelled subject, or a subject in a claim that `[revocation]
	 * subject_claims` does not list.  In force all the same. */
	live: boolean;
	/** when agauthd put it in force */
	at: Date;
}

export interface RevokeEvent {
	kind: 'token' | 'jti' | 'subject';
	value: string;
	at: Date;
	/** the host of the fleet it was made on ([cluster] name); absent
	 * outside a fleet */
	origin?: string;
}

/** agauthd's `stats` reply: uptime, connections, requests, signs,
 *  verifies, failures, busy, generation, pool_queue, cache_hits,
 *  cache_misses, cache_inserts, cache_evictions, cache_entries,
 *  cache_slots, cache_skipped, cache_bytes, revocations, watchers. */
export type Stats = Record<string, number | bigint>;

/** One public key of agauthd's JWK Set: RSA (n, e) or EC (crv, x, y). */
export interface JWK {
	kty: 'RSA' | 'EC';
	kid?: string;
	alg: string;
	use: 'sig';
	n?: string;
	e?: string;
	crv?: 'P-256' | 'P-384' | 'P-521';
	x?: string;
	y?: string;
}
export interface JWKSet {
	keys: JWK[];
}

export declare class Watcher extends EventEmitter {
	/** the watch is in force now */
	readonly watching: boolean;
	readonly closed: boolean;
	on(event: 'revoke', listener: (ev: RevokeEvent) => void): this;
	on(event: 'watching' | 'reconnect' | 'rewatch', listener: () => void): this;
	on(event: 'disconnect' | 'error', listener: (err: AgauthError) => void): this;
	on(event: string | symbol, listener: (...args: any[]) => void): this;
	close(): Promise<void>;
}

export declare class AuthEngine {
	constructor(options?: AuthEngineOptions);
	readonly socketPath: string;
	/** verifications are answered from agauthd's cache now */
	readonly cacheAttached: boolean;
	/** resolves once agauthd answered a ping; rejects with an AgauthError
	 *  of code 'AGAUTHD_UNREACHABLE' (naming the socket and
	 *  AGAUTHD_SOCKET) when it cannot be reached, or with its refusal */
	ready(): Promise<void>;
	/** ag-auth: `key` is ignored (agauthd signs with its primary key) */
	signToken(token: object | string | number | boolean, key?: unknown,
		  options?: SignOptions): Promise<string>;
	verifyToken(signedToken: string | null | undefined, key?: unknown,
		    options?: VerifyOptions & { complete: true }): Promise<CompleteToken>;
	verifyToken(signedToken: string | null | undefined, key?: unknown,
		    options?: VerifyOptions): Promise<any>;
	revoke(what: RevokeWhat): Promise<RevokeResult>;
	/** the same Watcher on every call (a new one after it was closed) */
	watch(): Watcher;
	/** needs the admin right */
	stats(): Promise<Stats>;
	/** agauthd's figures as Prometheus text exposition (format 0.0.4),
	 *  for the app's own /metrics; needs the metrics right */
	metrics(): Promise<string>;
	/** the RFC 7517 JWK Set of the public RS, PS and ES keys that verify
	 *  now (never an HMAC secret); needs the verify right */
	jwks(): Promise<JWKSet>;
	close(): Promise<void>;
}

export declare class JsonWebTokenError extends Error {
	constructor(message: string, error?: Error);
	name: 'JsonWebTokenError' | 'TokenExpiredError' | 'NotBeforeError';
	inner?: Error;
}
export declare class TokenExpiredError extends JsonWebTokenError {
	constructor(message: string, expiredAt: Date);
	expiredAt: Date;
}
export declare class NotBeforeError extends JsonWebTokenError {
	constructor(message: string, date: Date);
	date: Date;
}
/** sc-errors' (ag-auth rejects a token that is not a string with it) */
export declare class InvalidArgumentsError extends Error {
	constructor(message: string);
}
/** agauthd's own failures and this client's: name 'AgauthError', code
 *  'AG_E_CONNECT', 'AG_E_DISCONNECTED', 'AG_E_UNAUTHORIZED', ...;
 *  'AGAUTHD_UNREACHABLE' from ready() */
export interface AgauthError extends Error {
	name: 'AgauthError';
	code: string;
	cause?: unknown;
}

/** The Error a client rebuilds from an error reply {code, name, message,
 *  date}. */
export declare function rebuildError(reply: { code?: string; name?: string;
	message: string; date?: number | null }, token?: string): Error;

export declare const SOCKET_ENV: 'AGAUTHD_SOCKET';
export declare const DEFAULT_SOCKET_PATH: '/run/agauthd/agauthd.sock';
/** socketPath || process.env.AGAUTHD_SOCKET || DEFAULT_SOCKET_PATH */
export declare function defaultSocketPath(socketPath?: string): string;
