'use strict';
/*
 * watcher.js - agauthd's revocation events, on a connection of their own
 * (`watch` turns a connection into a watcher: it carries nothing else).
 *
 * Events:
 *   'watching' ()          the watch is in force (first time, and after
 *                          every re-watch)
 *   'revoke' ({kind, value, at, origin})   kind 'token', 'jti' or
 *                          'subject'; at: a Date; origin: the host of
 *                          the fleet it was made on (absent outside a
 *                          fleet)
 *   'disconnect' (err)     the connection was lost, or agauthd dropped
 *                          the watch because its events went unread
 *                          (err.code 'AG_E_REWATCH'): events are missed
 *                          until 'rewatch'
 *   'reconnect' ()         connected again after a 'disconnect' (the watch
 *                          request follows)
 *   'rewatch' ()           watching again after a 'disconnect'.  agauthd
 *                          does not replay what was revoked meanwhile:
 *                          re-check the sessions you hold
 *   'error' (err)          agauthd refused the watch (AG_E_UNAUTHORIZED:
 *                          the verify right); emitted only when someone
 *                          listens, otherwise told once by
 *                          process.emitWarning.  Tried again every
 *                          `retry` ms.
 *
 * The connection comes back by itself (conn.js) and keeps the process
 * alive until close().
 */
const { EventEmitter } = require('node:events');

const { Connection } = require('./conn');
const { agauthError, rebuildError } = require('./errors');

class Watcher extends EventEmitter {
	constructor(socketPath, { client, timeout, retry = 5000 } = {}) {
		super();
		this.retry = retry;
		this.watching = false;
		this.closed = false;
		this.everWatched = false;
		this.lost = false;
		this.dropped = null;         /* the rewatch event, till 'disconnect' */
		this.warned = false;
		this.retryTimer = null;
		this.conn = new Connection(socketPath, { client, timeout, keepAlive: true });
		this.conn.on('hello', () => {
			if (this.lost)
				this.emit('reconnect');
			this._watch();
		});
		this.conn.on('disconnect', (err) => {
			this.watching = false;
			this.lost = true;
			this.emit('disconnect', this.dropped || err);
			this.dropped = null;
		});
		this.conn.connect();
	}

	_watch() {
		this.conn.subscribe('watch', {}, (m) => this._event(m)).then((r) => {
			if (r.ok !== true) {
				this._refused(rebuildError(r));
				return;
			}
			const again = this.lost;

			this.watching = true;
			this.lost = false;
			this.emit('watching');
			if (again && this.everWatched)
				this.emit('rewatch');
			this.everWatched = true;
		}, () => { /* the connection went: 'disconnect' says so */ });
	}

	_event(m) {
		if (m.ok === true && m.event === 'revoke')
			this.emit('revoke', { kind: m.kind, value: m.value, at: new Date(m.at * 1000),
					      ...(typeof m.origin === 'string' ? { origin: m.origin } : {}) });
		/* agauthd dropped the watch and closes the connection: the
		 * reconnection watches again and says 'rewatch' */
		if (m.ok === true && m.event === 'rewatch')
			this.dropped = agauthError('AG_E_REWATCH', m.message);
	}

	_refused(err) {
		if (this.listenerCount('error') > 0) {
			this.emit('error', err);
		} else if (!this.warned) {
			this.warned = true;
			process.emitWarning(`agauthd: watch refused: ${err.message}`,
					    { code: 'AGAUTHD_WATCH_REFUSED' });
		}
		clearTimeout(this.retryTimer);
		this.retryTimer = setTimeout(() => {
			this.retryTimer = null;
			if (this.conn.state === 'ready')
				this._watch();
		}, this.retry);
	}

	close() {
		this.closed = true;
		this.watching = false;
		clearTimeout(this.retryTimer);
		this.removeAllListeners();
		return this.conn.close();
	}
}

module.exports = { Watcher };
