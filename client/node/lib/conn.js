'use strict';
/*
 * conn.js - one connection to agauthd, shared by every request of an
 * engine: hello first, then requests pipelined with ids of our choosing,
 * replies matched by id in whatever order they come.  Never blocks: the
 * socket is `net`'s, writes of one tick go out in one batch.
 *
 * Connecting: on demand (a request while there is no connection), and by
 * itself after a loss, with a backoff from `retry.min` to `retry.max` ms
 * (a timer that does not keep the process alive).  A request made while
 * agauthd is down waits up to `wait` ms for it to come back, trying every
 * `retry.min` ms, and then fails: a daemon restart is a short delay, not
 * a failed login (socketcluster-server drops a client's token on any
 * verify error).  A request in flight when a connection breaks always
 * fails: it may have reached the daemon.
 *
 * Failures of the transport reject with an AgauthError:
 *   AG_E_CONNECT       "agauthd unreachable at PATH: ECONNREFUSED"
 *   AG_E_DISCONNECTED  "connection to agauthd at PATH lost with the request
 *                      in flight", or "agauthd at PATH did not answer
 *                      within N ms", or closed by close()
 *   AG_E_FRAME_TOO_LARGE  a request over the daemon's max_frame (not sent)
 * Replies, ok or not, resolve: the caller reads {ok, code, name, ...}.
 *
 * Events: 'hello' (reply, reconnected) after each hello; 'disconnect'
 * (err) when a working connection is lost; 'unreachable' (err) when a
 * connect (or its hello) fails.
 */
const { EventEmitter } = require('node:events');
const { performance } = require('node:perf_hooks');
const net = require('node:net');

const { encodeFrame, FrameReader } = require('./frames');
const { agauthError } = require('./errors');

const ID_MAX = 0xffffffff;
const SWEEP_MS = 250;

class Connection extends EventEmitter {
	/*
	 * opts: client (hello's client string), timeout (ms a connect, hello
	 * or request may take; 0: forever), wait (ms a request made while
	 * agauthd is down waits for it; default 2000), retry {min, max} (ms),
	 * keepAlive (the socket keeps the process alive while idle; else
	 * only while requests are in flight), counts / reported (see
	 * _send), reconnect (connect again after a loss, default true).
	 */
	constructor(path, opts = {}) {
		super();
		this.path = path;
		this.client = opts.client || 'agauthd-node';
		this.timeout = opts.timeout === undefined ? 30000 : opts.timeout;
		this.retry = Object.assign({ min: 50, max: 5000 }, opts.retry);
		this.wait = opts.wait === undefined ? 2000 : opts.wait;
		this.keepAlive = !!opts.keepAlive;
		this.reconnect = opts.reconnect !== false;
		this.counts = opts.counts || null;
		this.reported = opts.reported || null;
		this.state = 'down';            /* down, connecting, ready, closed */
		this.sock = null;
		this.helloId = 0;
		this.hello = null;
		this.maxFrame = 65536;
		this.nextId = 1;
		this.pending = new Map();       /* id -> {resolve, reject, deadline} */
		this.subs = new Map();          /* id -> onFrame, after the first reply */
		this.queue = [];                /* requests waiting for hello */
		this.everReady = false;
		this.lastFail = -Infinity;
		this.lastError = null;
		this.backoff = this.retry.min;
		this.retryTimer = null;
		this.sweepTimer = null;
		this.corked = false;
		this.refd = true;
		this.closeReason = null;
	}

	/* Connects now unless connected, connecting or closed. */
	connect() {
		if (this.state !== 'down')
			return;
		clearTimeout(this.retryTimer);
		this.retryTimer = null;
		this.state = 'connecting';
		this.closeReason = null;
		const sock = net.createConnection(this.path);
		const reader = new FrameReader((m) => this._frame(sock, m));
		let sockErr = null;

		this.sock = sock;
		this.refd = true;
		this._refresh();
		sock.on('connect', () => {
			this.helloId = this._id();
			this._track(this.helloId, (r) => this._hello(sock, r),
				    (e) => sock.destroy(e));
			sock.write(encodeFrame({ id: this.helloId, op: 'hello', v: 1,
						 client: this.client }));
		});
		sock.on('data', (chunk) => {
			try {
				reader.push(chunk);
			} catch (e) {
				this.closeReason = agauthError('AG_E_PROTOCOL',
					`unexpected reply from agauthd at ${this.path}: ${e.message}`);
				sock.destroy();
			}
		});
		sock.on('error', (e) => { sockErr = e; });
		sock.on('close', () => this._down(sock, sockErr));
	}

	/* Sends op with args; resolves with the reply, or with then(reply)
	 * (rejects with what it throws) if then is given: one promise, not
	 * a chain of two. */
	request(op, args, then) {
		return new Promise((resolve, reject) => {
			const done = then === undefined ? resolve : (r) => {
				try {
					resolve(then(r));
				} catch (e) {
					reject(e);
				}
			};

			this._submit({ id: 0, op, ...args }, done, reject, null);
		});
	}

	/*
	 * Like request, but the connection keeps the id after the first
	 * reply: every later frame with it goes to onFrame(msg), until the
	 * connection is lost.  For `watch`.
	 */
	subscribe(op, args, onFrame) {
		return new Promise((resolve, reject) => {
			this._submit({ id: 0, op, ...args }, resolve, reject, onFrame);
		});
	}

	/* Ends the connection for good; requests not answered reject.  A
	 * last ping carries the counts not yet reported. */
	close() {
		if (this.state === 'closed')
			return Promise.resolve();
		const sock = this.sock;
		const err = agauthError('AG_E_DISCONNECTED',
			`the connection to agauthd at ${this.path} was closed`);

		if (this.state === 'ready' && this.counts && this.counts())
			this._send({ id: this._id(), op: 'ping' });
		this.state = 'closed';
		this.sock = null;
		clearTimeout(this.retryTimer);
		clearInterval(this.sweepTimer);
		this.retryTimer = this.sweepTimer = null;
		this._fail(err);
		if (!sock || sock.destroyed)
			return Promise.resolve();
		return new Promise((resolve) => {
			const t = setTimeout(() => sock.destroy(), 1000);

			t.unref();
			/* the promise is settled by the close: an idle socket is
			 * unref'd, and the process must not end before it (the
			 * timer above bounds the wait) */
			sock.ref();
			sock.once('close', () => { clearTimeout(t); resolve(); });
			sock.end();
		});
	}

	// ------------------------------------------------------------ inside

	_id() {
		const id = this.nextId;

		this.nextId = id >= ID_MAX ? 1 : id + 1;
		return id;
	}

	_submit(req, resolve, reject, onFrame) {
		if (this.state === 'closed') {
			reject(agauthError('AG_E_DISCONNECTED',
				`the connection to agauthd at ${this.path} was closed`));
			return;
		}
		const now = performance.now();
		const entry = { req, resolve, reject, onFrame,
				deadline: this.timeout ? now + this.timeout : Infinity,
				waitUntil: now + this.wait };

		if (this.state === 'ready') {
			this._dispatch(entry);
			return;
		}
		if (this.state === 'down' && this.lastError && this.wait <= 0) {
			reject(this._copy(this.lastError));
			return;
		}
		this.queue.push(entry);
		/* an attempt now, not a stale error: a Unix connect costs
		 * microseconds, and agauthd may be back already */
		this.connect();
		this._refresh();
		this._sweep();
	}

	/* Sends a queued or new request on the ready connection. */
	_dispatch(entry) {
		const { req } = entry;

		req.id = this._id();
		if (!this._send(req, entry.reject))
			return;
		this._track(req.id, entry.resolve, entry.reject, entry.deadline,
			    entry.onFrame);
	}

	_track(id, resolve, reject, deadline = this.timeout ? performance.now() + this.timeout : Infinity,
	       onFrame = null) {
		this.pending.set(id, { resolve, reject, deadline, onFrame });
		this._refresh();
		this._sweep();
	}

	/*
	 * Writes req (with the cache counts the engine has not reported
	 * yet: counts() -> {ch, cm} or null, reported(c) once written):
	 * true, or false with reject called if it is too large to send.
	 */
	_send(req, reject) {
		const c = this.counts ? this.counts() : null;

		if (c) {
			if (c.ch)
				req.ch = c.ch;
			if (c.cm)
				req.cm = c.cm;
		}
		const frame = encodeFrame(req);

		if (frame.length - 4 > this.maxFrame) {
			if (reject)
				reject(agauthError('AG_E_FRAME_TOO_LARGE',
					`a ${req.op} request of ${frame.length - 4} bytes exceeds ` +
					`agauthd's max_frame of ${this.maxFrame}`));
			return false;
		}
		if (!this.corked) {
			/* one write for everything sent in this tick */
			const sock = this.sock;

			this.corked = true;
			sock.cork();
			process.nextTick(() => {
				this.corked = false;
				sock.uncork();
			});
		}
		this.sock.write(frame);
		if (c && this.reported)
			this.reported(c);
		return true;
	}

	_frame(sock, m) {
		if (sock !== this.sock)
			return;
		const p = this.pending.get(m.id);

		if (p !== undefined) {
			this.pending.delete(m.id);
			if (p.onFrame)
				this.subs.set(m.id, p.onFrame);
			this._refresh();
			p.resolve(m);
			return;
		}
		const sub = this.subs.get(m.id);

		if (sub !== undefined) {
			sub(m);
		} else if (m.id === 0 && m.ok === false) {
			/* a protocol error: agauthd hangs up after it */
			this.closeReason = agauthError(m.code || 'AG_E_PROTOCOL',
				`agauthd at ${this.path}: ${m.message}`);
		}
		/* other ids: answers to requests that timed out */
	}

	_hello(sock, r) {
		if (r.ok !== true) {
			this.closeReason = agauthError(r.code || 'AG_E_HELLO',
				`agauthd at ${this.path} refused hello: ${r.message}`);
			sock.destroy();
			return;
		}
		const reconnected = this.everReady;

		this.state = 'ready';
		this.everReady = true;
		this.hello = r;
		this.maxFrame = typeof r.max_frame === 'number' ? r.max_frame : 65536;
		this.backoff = this.retry.min;
		this.lastError = null;
		const queue = this.queue;

		this.queue = [];
		for (const entry of queue)
			this._dispatch(entry);
		this._refresh();
		this.emit('hello', r, reconnected);
	}

	/* The socket closed: fail what it carried, and maybe come back. */
	_down(sock, sockErr) {
		if (sock !== this.sock)
			return;
		const was = this.state;

		this.sock = null;
		this.state = 'down';
		this.corked = false;
		let err;

		if (was === 'ready') {
			err = this.closeReason || agauthError('AG_E_DISCONNECTED',
				`connection to agauthd at ${this.path} lost with the request in flight`,
				sockErr || undefined);
			this.backoff = this.retry.min;
		} else {
			err = this.closeReason || (sockErr && sockErr.code !== undefined &&
						   sockErr.syscall === 'connect' ?
				agauthError('AG_E_CONNECT',
					    `agauthd unreachable at ${this.path}: ${sockErr.code}`, sockErr) :
				agauthError('AG_E_CONNECT',
					    `agauthd at ${this.path} closed the connection at hello` +
					    (sockErr ? `: ${sockErr.message}` : ''), sockErr || undefined));
			this.lastError = err;
			this.lastFail = performance.now();
		}
		if (was === 'ready')
			this._fail(err);
		else
			this._failWaiting(err);
		if (was === 'ready')
			this.emit('disconnect', err);
		else
			this.emit('unreachable', err);
		this._schedule();
	}

	/* A connect failed: what was tracked (hello) fails, and the queued
	 * requests whose wait is over; the others wait for the next try. */
	_failWaiting(err) {
		const now = performance.now();
		const pending = [...this.pending.values()];

		this.pending.clear();
		for (const p of pending)
			p.reject(this._copy(err));
		this.queue = this.queue.filter((q) => {
			if (q.waitUntil > now)
				return true;
			q.reject(this._copy(err));
			return false;
		});
	}

	/* Rejects everything in flight or queued with (a copy of) err. */
	_fail(err) {
		const pending = [...this.pending.values()];
		const queue = this.queue;

		this.pending.clear();
		this.subs.clear();
		this.queue = [];
		for (const p of pending)
			p.reject(this._copy(err));
		for (const q of queue)
			q.reject(this._copy(err));
	}

	/* A fresh error per request: each gets its own stack and object. */
	_copy(err) {
		return agauthError(err.code, err.message, err.cause);
	}

	/* The next attempt after a loss or a failed connect: soon while
	 * requests wait, with a growing backoff otherwise. */
	_schedule() {
		if (this.state !== 'down' || this.retryTimer ||
		    (!this.reconnect && this.queue.length === 0))
			return;
		const delay = this.queue.length > 0 ? this.retry.min : this.backoff;

		if (this.queue.length === 0)
			this.backoff = Math.min(this.backoff * 2, this.retry.max);
		this.retryTimer = setTimeout(() => {
			this.retryTimer = null;
			this.connect();
		}, delay);
		/* requests waiting for agauthd keep the process alive */
		if (!this.keepAlive && this.queue.length === 0)
			this.retryTimer.unref();
	}

	/* The socket keeps the process alive only while it is needed. */
	_refresh() {
		const want = this.keepAlive || this.pending.size > 0 || this.queue.length > 0;

		if (this.sock && want !== this.refd) {
			this.refd = want;
			if (want)
				this.sock.ref();
			else
				this.sock.unref();
		}
	}

	/* Rejects requests older than the timeout, checking a few times a
	 * second while any is in flight or queued (the oldest id comes
	 * first); idle, it stops. */
	_sweep() {
		if (this.sweepTimer || !this.timeout || this.state === 'closed')
			return;
		this.sweepTimer = setInterval(() => {
			const now = performance.now();

			if (this.pending.size === 0 && this.queue.length === 0) {
				clearInterval(this.sweepTimer);
				this.sweepTimer = null;
				return;
			}
			for (const [id, p] of this.pending) {
				if (p.deadline > now)
					break;
				this.pending.delete(id);
				if (id === this.helloId && this.state === 'connecting') {
					this.closeReason = agauthError('AG_E_CONNECT',
						`agauthd at ${this.path} did not answer hello within ${this.timeout} ms`);
					this.sock.destroy();
					continue;
				}
				p.reject(agauthError('AG_E_DISCONNECTED',
					`agauthd at ${this.path} did not answer within ${this.timeout} ms`));
			}
			if (this.state === 'down' && this.lastError)
				this._failWaiting(this.lastError);
			for (const q of this.queue) {
				if (q.deadline > now || this.state !== 'connecting')
					continue;
				this.closeReason = agauthError('AG_E_CONNECT',
					`agauthd at ${this.path} did not answer hello within ${this.timeout} ms`);
				this.sock.destroy();
				break;
			}
			this._refresh();
		}, Math.min(SWEEP_MS, this.timeout));
		this.sweepTimer.unref();
	}
}

module.exports = { Connection };
