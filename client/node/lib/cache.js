'use strict';
/*
 * cache.js - agauthd's shared-memory cache in this process, through the
 * native addon (native/*.c, built by `make` into native/agauthd.node).
 *
 * The addon keeps its own libagauth handle to the daemon, attaches off
 * the event loop and answers lookups on it without a system call.  This
 * module loads it once per process, decides when to (re-)attach: when a
 * hello of the engine's connection names a cache instance other than the
 * one attached, and when a lookup finds the cache stale (the daemon
 * stopped or went silent); at most once per `retry` ms while attaching
 * fails.
 *
 * Without the addon every verify goes to agauthd.  AGAUTHD_NO_ADDON=1
 * leaves it out on purpose (silently); AGAUTHD_ADDON=/path/agauthd.node
 * loads another build.  When it cannot be loaded, the process is told once
 * with process.emitWarning (code AGAUTHD_NO_ADDON).
 */
const path = require('node:path');
const { performance } = require('node:perf_hooks');

/* lookup's answers (native/addon.h); a hit is a string or an array */
const MISS = 0;
const REJECTED = 2;
const STALE = 3;
const DETACHED = 4;

let loaded;            /* {addon} or {addon: null, why} */

function loadAddon() {
	if (loaded !== undefined)
		return loaded;
	if (process.env.AGAUTHD_NO_ADDON === '1') {
		loaded = { addon: null, why: 'AGAUTHD_NO_ADDON=1' };
		return loaded;
	}
	const file = process.env.AGAUTHD_ADDON ||
		path.join(__dirname, '..', 'native', 'agauthd.node');

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
	static open(socketPath, opts) {
		const { addon } = loadAddon();

		return addon ? new Cache(addon, socketPath, opts) : null;
	}

	constructor(addon, socketPath, { retry = 1000 } = {}) {
		this.addon = addon;
		this.h = addon.open(socketPath);
		this.retry = retry;
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
	 * [payload, header, kid] for complete: true.
	 */
	lookup(token, optsJson) {
		const r = this.addon.lookup(this.h, token, optsJson);

		/* (a daemon whose hello says it has no cache is not asked) */
		if (r === STALE && this.instance !== 0)
			this.attach(false);
		return r;
	}

	/* {code, name, message, date?} of the last REJECTED. */
	error() {
		return this.addon.lastError(this.h);
	}

	/* Attaches (again) off the event loop; `now` skips the wait after a
	 * failure (a hello named a new instance). */
	attach(now) {
		if (this.closed)
			return;
		if (this.attaching) {
			this.again = true;
			return;
		}
		const wait = this.retryAt - performance.now();

		if (!now && wait > 0) {
			if (!this.retryTimer) {
				this.retryTimer = setTimeout(() => {
					this.retryTimer = null;
					this.attach(false);
				}, wait);
				this.retryTimer.unref();
			}
			return;
		}
		const wanted = this.instance;

		this.attaching = true;
		this.again = false;
		this.attachedFor = -1;
		this.addon.attach(this.h, (err) => {
			this.attaching = false;
			this.lastError = err;
			if (err) {
				this.retryAt = performance.now() + this.retry;
			} else {
				this.attachedFor = wanted;
				this.retryAt = 0;
			}
			if (this.again || (!err && wanted !== this.instance && this.instance !== 0))
				this.attach(false);
		});
	}

	close() {
		this.closed = true;
		clearTimeout(this.retryTimer);
		this.addon.close(this.h);
	}
}

module.exports = { Cache, loadAddon, MISS, REJECTED, STALE, DETACHED };
