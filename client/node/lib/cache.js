'use strict';
/*
 * cache.js - agauthd's shared-memory cache in this process, through the
 * native addon (native/*.c, built by the package's install script, or
 * `make` in a checkout, into build/Release/agauthd.node).
 *
 * The addon maps the cache and answers lookups on the event loop without
 * a system call; attaching is a connection of its own, off the loop:
 * this module encodes its hello and cache requests, the addon sends them
 * and brings back the replies and the cache's descriptor, this module
 * reads the replies and has the addon map the descriptor (the addon
 * speaks no msgpack).  It loads the addon once per process, and decides
 * when to (re-)attach: when a hello of the engine's connection names a
 * cache instance other than the one attached, and when a lookup finds the
 * cache stale (the daemon stopped or went silent); after a failure again
 * later, with a backoff.
 *
 * Without the addon every verify goes to agauthd.  AGAUTHD_NO_ADDON=1
 * leaves it out on purpose (silently); AGAUTHD_ADDON=/path/agauthd.node
 * loads another build.  When it cannot be loaded, the process is told once
 * with process.emitWarning (code AGAUTHD_NO_ADDON).
 */
const path = require('node:path');
const { performance } = require('node:perf_hooks');

const { encodeFrame, FrameReader } = require('./frames');
const { version } = require('../package.json');

/* lookup's answers (native/addon.h); a hit is a string or an array,
 * or VALID when no text was asked for */
const MISS = 0;
const VALID = 1;
const REJECTED = 2;
const STALE = 3;
const DETACHED = 4;

/* the attach's requests, and their ids */
const HELLO_ID = 1;
const CACHE_ID = 2;
const ATTACH_REQUEST = Buffer.concat([
	encodeFrame({ id: HELLO_ID, op: 'hello', v: 1, client: `agauthd-node/${version} cache` }),
	encodeFrame({ id: CACHE_ID, op: 'cache' }),
]);

/* agauthd's answers that another attempt would not change */
const REFUSALS = new Set(['AG_E_NO_CACHE', 'AG_E_UNAUTHORIZED']);

let loaded;            /* {addon} or {addon: null, why} */

function loadAddon() {
	if (loaded !== undefined)
		return loaded;
	if (process.env.AGAUTHD_NO_ADDON === '1') {
		loaded = { addon: null, why: 'AGAUTHD_NO_ADDON=1' };
		return loaded;
	}
	const file = process.env.AGAUTHD_ADDON ||
		path.join(__dirname, '..', 'build', 'Release', 'agauthd.node');

	try {
		loaded = { addon: require(file) };
	} catch (e) {
		loaded = { addon: null, why: `${file}: ${e.message.split('\n')[0]}` };
		process.emitWarning(`agauthd: the native addon is not loaded (${loaded.why}); ` +
				    'every verify goes to agauthd, none is answered from its cache',
				    { code: 'AGAUTHD_NO_ADDON' });
	}
	return loaded;
}

class Cache {
	/* A Cache for agauthd at socketPath, or null without the addon. */
	static open(socketPath, opts = {}) {
		const { addon } = loadAddon();

		return addon ? new Cache(addon, socketPath, opts) : null;
	}

	/* timeout: ms the addon's own requests (hello, cache) may take */
	constructor(addon, socketPath, { timeout = 5000, retry = 1000, retryMax = 30000 } = {}) {
		this.addon = addon;
		this.path = socketPath;
		this.h = addon.open(socketPath, timeout);
		this.retry = retry;
		this.retryMax = retryMax;
		this.failures = 0;
		this.instance = 0;        /* the live daemon's, from hello */
		this.attachedFor = -1;    /* the instance asked for when attached */
		this.attaching = false;
		this.again = false;       /* another attach is wanted after this one */
		this.retryAt = 0;
		this.retryTimer = null;
		this.lastError = null;    /* why the last attach failed */
		this.closed = false;
	}

	/* A hello named the daemon's cache instance (0: no cache). */
	daemon(instance) {
		this.instance = Number(instance) || 0;
		if (this.instance !== 0 && this.instance !== this.attachedFor)
			this.attach(true);
	}

	get attached() {
		return this.attachedFor >= 0 && !this.attaching;
	}

	/*
	 * The cache's answer: MISS, REJECTED (error()), STALE or DETACHED
	 * (both: ask agauthd), or a hit: the payload's JSON text, or
	 * [payload, header, kid] for complete: true; VALID if `text` is
	 * false (the caller has the payload).
	 */
	lookup(token, optsJson, text) {
		const r = this.addon.lookup(this.h, token, optsJson, text);

		/* (a daemon whose hello says it has no cache is not asked) */
		if (r === STALE && this.instance !== 0)
			this.attach(false);
		return r;
	}

	/* {code, name, message, date?} of the last REJECTED. */
	error() {
		return this.addon.lastError(this.h);
	}

	/*
	 * Attaches (again) off the event loop; `now` skips the wait after a
	 * failure (a hello named a new instance).  A failure is tried again
	 * after `retry` ms, doubling up to `retryMax`, unless agauthd said no
	 * (no cache, or not allowed): then only a hello naming another cache
	 * tries again.
	 */
	attach(now) {
		if (this.closed)
			return;
		if (this.attaching) {
			this.again = true;
			return;
		}
		const wait = this.retryAt - performance.now();

		if (!now && wait > 0) {
			this._later(wait);
			return;
		}
		clearTimeout(this.retryTimer);
		this.retryTimer = null;
		const wanted = this.instance;

		this.attaching = true;
		this.again = false;
		this.attachedFor = -1;
		this.addon.attach(this.h, ATTACH_REQUEST, (failed, replies) => {
			const err = failed || this._map(replies);

			this.attaching = false;
			this.lastError = err;
			if (err) {
				const delay = Math.min(this.retry * 2 ** this.failures++, this.retryMax);

				this.retryAt = performance.now() + delay;
				if (!REFUSALS.has(err.code))
					this._later(delay);
			} else {
				this.attachedFor = wanted;
				this.failures = 0;
				this.retryAt = 0;
			}
			if (this.again || (!err && wanted !== this.instance && this.instance !== 0))
				this.attach(false);
		});
	}

	/* Reads the replies to hello and cache, and maps the cache they
	 * name: null, or why not {code, name, message}. */
	_map(replies) {
		const got = new Map();

		try {
			new FrameReader((m) => got.set(m.id, m)).push(replies);
		} catch (e) {
			return { code: 'AG_E_PROTOCOL', name: 'AgauthError',
				 message: `unexpected reply from agauthd at ${this.path}: ${e.message}` };
		}
		for (const id of [HELLO_ID, CACHE_ID]) {
			const r = got.get(id);

			if (r === undefined)
				return { code: 'AG_E_PROTOCOL', name: 'AgauthError',
					 message: `agauthd at ${this.path} hung up before its ` +
						  `${id === HELLO_ID ? 'hello' : 'cache'} reply` };
			if (r.ok !== true)
				return { code: r.code || 'AG_E_PROTOCOL', name: r.name || 'AgauthError',
					 message: String(r.message) };
		}
		const instance = got.get(CACHE_ID).cache;

		if (typeof instance !== 'bigint' && !Number.isSafeInteger(instance))
			return { code: 'AG_E_PROTOCOL', name: 'AgauthError',
				 message: `agauthd at ${this.path} named no cache instance` };
		return this.addon.map(this.h, BigInt(instance));
	}

	_later(wait) {
		if (this.retryTimer || this.closed)
			return;
		this.retryTimer = setTimeout(() => {
			this.retryTimer = null;
			this.attach(false);
		}, wait);
		this.retryTimer.unref();
	}

	close() {
		this.closed = true;
		clearTimeout(this.retryTimer);
		this.addon.close(this.h);
	}
}

module.exports = { Cache, loadAddon, MISS, VALID, REJECTED, STALE, DETACHED };
