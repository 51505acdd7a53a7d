'use strict';
/*
 * engine.js - AuthEngine: ag-auth 2.1's engine for SocketCluster, with
 * agauthd holding the keys.  signToken and verifyToken keep ag-auth's
 * contract (the key argument is ignored); verifications agauthd has seen
 * are answered from its shared-memory cache in this process, the rest go
 * over one pipelined connection (conn.js).
 */
const { Cache, MISS, VALID, REJECTED } = require('./cache');
const { Connection } = require('./conn');
const { Payloads } = require('./payloads');
const {
	InvalidArgumentsError, JsonWebTokenError, rebuildError, unreachableError,
} = require('./errors');
const { AFTER_AUDIENCE, audienceError, tokenPayload } = require('./audience');
const { defaultSocketPath } = require('./socket-path');
const { signPlan, applyAdded } = require('./sign');
const { verifyPlan, fromReply, fromHit, payloadOf } = require('./verify');
const { Watcher } = require('./watcher');
const { version } = require('../package.json');

const COUNT_MAX = 0xffffffff;      /* ch and cm are uint32 on the wire */
const CLIENT = `agauthd-node/${version}`;

class AuthEngine {
	/*
	 * options: socketPath (default $AGAUTHD_SOCKET, then
	 * /run/agauthd/agauthd.sock), timeout (ms a request may take,
	 * default 30000; 0: no limit), reportInterval (ms between pings that
	 * report cache hits nothing else carried, default 1000).
	 */
	constructor(options = {}) {
		this.socketPath = defaultSocketPath(options.socketPath);
		this.timeout = options.timeout === undefined ? 30000 : options.timeout;
		this.reportInterval = options.reportInterval || 1000;
		this.hits = 0;
		this.misses = 0;
		this.reportTimer = null;
		this.watcher = null;
		this.closed = false;
		/* the cache's blocking round trips run off the loop, and give up
		 * sooner than a request: the engine asks agauthd meanwhile */
		this.cache = Cache.open(this.socketPath, {
			timeout: this.timeout ? Math.min(this.timeout, 5000) : 5000,
		});
		this.payloads = this.cache !== null ? new Payloads() : null;
		this.conn = new Connection(this.socketPath, {
			client: CLIENT,
			timeout: this.timeout,
			/* a restart of agauthd delays a login, it does not fail it */
			wait: options.reconnectWait === undefined ? 2000 :
			      options.reconnectWait,
			counts: () => this._counts(),
			reported: (c) => {
				this.hits -= c.ch;
				this.misses -= c.cm;
			},
		});
		if (this.cache)
			this.conn.on('hello', (h) => this.cache.daemon(h.cache));
		/* a server started without agauthd says so now, not at its first
		 * login's 4002 */
		this.conn.once('unreachable', (e) => {
			if (!this.conn.everReady && !this.closed)
				process.emitWarning(unreachableError(this.socketPath, e).message,
						    { code: 'AGAUTHD_UNREACHABLE' });
		});
		this.conn.connect();
	}

	/* Resolves once agauthd answered a ping; rejects with an
	 * AGAUTHD_UNREACHABLE error saying what to check, or with agauthd's
	 * refusal. */
	ready() {
		return this.conn.request('ping', {}).then((r) => {
			if (r.ok !== true)
				throw rebuildError(r);
		}, (e) => {
			throw unreachableError(this.socketPath, e);
		});
	}

	/* Whether verifications can be answered from the cache now. */
	get cacheAttached() {
		return !!(this.cache && this.cache.attached);
	}

	signToken(token, key, options) {
		let plan;

		try {
			plan = signPlan(token, options || {});
		} catch (e) {
			return Promise.reject(e);
		}
		return this.conn.request('sign', { payload: plan.payload, opts: plan.opts })
			.then((r) => {
				if (r.ok !== true)
					throw rebuildError(r);
				if (plan.mutate)
					applyAdded(token, plan, r.added);
				return r.token;
			});
	}

	verifyToken(signedToken, key, options) {
		if (typeof signedToken !== 'string' && signedToken != null)
			return Promise.reject(new InvalidArgumentsError(
				'Invalid token format - Token must be a string'));
		const token = signedToken || '';
		let plan;

		try {
			plan = verifyPlan(options || {});
		} catch (e) {
			return Promise.reject(e);
		}
		if (this.cache !== null) {
			let hit;

			try {
				hit = this._lookup(token, plan);
			} catch (e) {
				return Promise.reject(e);
			}
			if (typeof hit !== 'number') {
				this._count(1, 0);
				try {
					return Promise.resolve(this._checked(hit, plan));
				} catch (e) {
					return Promise.reject(e);
				}
			}
			if (hit === REJECTED) {
				this._count(1, 0);
				return Promise.reject(this._refused(this.cache.error(), token, plan));
			}
			if (hit === MISS)
				this._count(0, 1);
		}
		return this.conn.request('verify', { token, opts: plan.json }, (r) => {
			if (r.ok !== true)
				throw this._refused(r, token, plan);
			return this._checked(fromReply(r, token, plan.complete), plan);
		});
	}

	/* revoke({sub} | {jti} | {token}) -> {purged, live, at} */
	revoke(what) {
		const kinds = ['sub', 'jti', 'token'].filter((k) => what && what[k] !== undefined);

		if (kinds.length !== 1 || typeof what[kinds[0]] !== 'string')
			return Promise.reject(new TypeError(
				'revoke needs exactly one of sub, jti or token, as a string'));
		return this.conn.request('revoke', { [kinds[0]]: what[kinds[0]] }).then((r) => {
			if (r.ok !== true)
				throw rebuildError(r);
			/* live: an older agauthd does not say (then no warning) */
			return { purged: r.purged, live: r.live !== false, at: new Date(r.at * 1000) };
		});
	}

	/* agauthd's counters (the admin right). */
	stats() {
		return this._ask('stats').then((r) => {
			const out = Object.assign({}, r);

			delete out.id;
			delete out.ok;
			return out;
		});
	}

	/* agauthd's figures as Prometheus text (format 0.0.4), to serve
	 * from the app's own /metrics (the metrics right). */
	metrics() {
		return this._ask('metrics').then((r) => r.text);
	}

	/* The JWK Set (RFC 7517) of agauthd's public RS, PS and ES keys
	 * that verify now, as an object (the verify right). */
	jwks() {
		return this._ask('jwks').then((r) => JSON.parse(r.jwks));
	}

	/* The revocation events (watcher.js): the engine's Watcher, a new
	 * one if the last was closed. */
	watch() {
		if (this.closed)
			throw new Error('agauthd: watch() after close()');
		if (!this.watcher || this.watcher.closed)
			this.watcher = new Watcher(this.socketPath, { client: `${CLIENT} watch`,
								      timeout: this.timeout });
		return this.watcher;
	}

	/* Ends the connections and timers; requests still in flight reject.
	 * Hits not yet reported go with a last ping. */
	close() {
		if (this.closed)
			return Promise.resolve();
		this.closed = true;
		clearInterval(this.reportTimer);
		this.reportTimer = null;
		if (this.cache)
			this.cache.close();
		return Promise.all([this.conn.close(),
				    this.watcher ? this.watcher.close() : null]).then(() => {});
	}

	// ------------------------------------------------------------ inside

	/* The ok reply to an op without arguments; rejects with agauthd's
	 * error. */
	_ask(op) {
		return this.conn.request(op, {}).then((r) => {
			if (r.ok !== true)
				throw rebuildError(r);
			return r;
		});
	}

	/*
	 * The cache's answer: a number (MISS, REJECTED, STALE, DETACHED), or
	 * the verified value.  A token that hit before in this process has
	 * its payload kept (payloads.js), so the cache is asked for no text
	 * then; a first hit keeps its text for the next.
	 */
	_lookup(token, plan) {
		const seen = plan.complete ? undefined : this.payloads.get(token);
		const hit = this.cache.lookup(token, plan.json, seen === undefined);

		if (typeof hit === 'number')
			return hit === VALID ? this.payloads.value(seen) : hit;
		if (!plan.complete)
			this.payloads.add(token, hit);
		return fromHit(hit, token, plan.complete);
	}

	/* A payload that passed agauthd's checks, and the audience check
	 * agauthd could not make (a RegExp). */
	_checked(value, plan) {
		if (plan.audience !== undefined) {
			const e = audienceError(plan.audience, payloadOf(value, plan.complete),
						JsonWebTokenError);

			if (e)
				throw e;
		}
		return value;
	}

	/* The error of a refusal {code, name, message, date}; a check that
	 * comes after the audience yields to a RegExp audience that fails. */
	_refused(r, token, plan) {
		if (plan.audience !== undefined && AFTER_AUDIENCE.has(r.code)) {
			const e = audienceError(plan.audience, tokenPayload(token),
						JsonWebTokenError);

			if (e)
				return e;
		}
		return rebuildError(r, token);
	}

	_count(hits, misses) {
		this.hits += hits;
		this.misses += misses;
		if (!this.reportTimer && !this.closed) {
			this.reportTimer = setInterval(() => this._report(), this.reportInterval);
			this.reportTimer.unref();
		}
	}

	/* What the next request reports: {ch, cm}, or null. */
	_counts() {
		if (this.hits === 0 && this.misses === 0)
			return null;
		return { ch: Math.min(this.hits, COUNT_MAX), cm: Math.min(this.misses, COUNT_MAX) };
	}

	/* A ping for counts no request carried since the last tick. */
	_report() {
		if (this.hits === 0 && this.misses === 0) {
			clearInterval(this.reportTimer);
			this.reportTimer = null;
			return;
		}
		if (this.conn.state === 'ready')
			this.conn.request('ping', {}).catch(() => {});
	}
}

module.exports = { AuthEngine };
