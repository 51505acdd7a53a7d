'use strict';
/*
 * sc.js - real socketcluster-server 20 servers whose authEngine is
 * agauthd's Node engine (client/node), real socketcluster-client 20
 * clients, and a real daemon from ../integration/harness.js, for the
 * SocketCluster suite (tests/sc/).
 *
 *   const sc = require('./sc');
 *   const { d, env } = await sc.daemon(t);              // stopped when the test ends:
 *                                                       // status 0, no sanitizer report,
 *                                                       // or the test fails
 *   const srv = await sc.server(t, { socketPath: env.sock });
 *   const cl = await sc.client(t, srv.port, { token }); // connected
 *   cl.status.isAuthenticated, (await srv.connection()).socket.authToken
 *
 * Servers listen on 127.0.0.1 port 0 (an ephemeral port); every server,
 * engine, client and child process is closed when its test ends (defer),
 * and every wait is bounded.
 */
const assert = require('node:assert');
const { fork } = require('node:child_process');
const http = require('node:http');
const path = require('node:path');

const scServer = require('socketcluster-server');
const scClient = require('socketcluster-client');

const h = require('../integration/harness');

const ENGINE_DIR = path.join(h.ROOT, 'client', 'node');
const { AuthEngine } = require(ENGINE_DIR);

const WAIT = 5000;              /* ms any one event may take to come */
const TEST_TIMEOUT = 30000;     /* ms a test file's test may take */

/*
 * Events of an emitter as a queue: next() resolves with the next one not
 * yet taken (or throws after `ms`); seen() tells whether one came at all.
 */
class Queue {
	constructor(what) {
		this.what = what;
		this.items = [];
		this.waiters = [];
		this.count = 0;
	}

	push(v) {
		this.count++;
		const w = this.waiters.shift();
		if (w)
			w(v);
		else
			this.items.push(v);
	}

	/* forgets the events that came and were not taken */
	clear() {
		this.items = [];
	}

	next(ms = WAIT) {
		if (this.items.length)
			return Promise.resolve(this.items.shift());
		let waiter;
		const p = new Promise((resolve) => { waiter = resolve; this.waiters.push(resolve); });
		return h.within(p, ms, `${this.what}`).catch((e) => {
			this.waiters = this.waiters.filter((w) => w !== waiter);
			throw e;
		});
	}
}

/*
 * defer(t, fn): runs fn when test t ends, last deferred first (clients
 * before their servers, servers before the daemon their engines use).
 * Every fn runs; the first that throws then fails t (a daemon's strict
 * stop: Daemon.stop).
 */
const stacks = new WeakMap();
function defer(t, fn) {
	let stack = stacks.get(t);
	if (!stack) {
		stack = [];
		stacks.set(t, stack);
		t.after(async () => {
			const failures = [];

			while (stack.length)
				await Promise.resolve().then(stack.pop()).catch((e) => failures.push(e));
			if (failures.length)
				throw failures[0];
		});
	}
	stack.push(fn);
}

/* Feeds every event of an async-stream-emitter listener into a Queue. */
function listen(emitter, name, what) {
	const q = new Queue(what || name);
	(async () => {
		for await (const ev of emitter.listener(name))
			q.push(ev);
	})();
	return q;
}

/*
 * A daemon in a temporary directory (h.setup options), stopped when the
 * test ends; the default is one HS256 primary key and a day's expiry, as
 * SocketCluster's authDefaultExpiry.  Returns { d, env, admin } with
 * `admin` a protocol client (uid 0: the admin right).
 */
async function daemon(t, opts = {}) {
	const env = h.setup({ conf: { keys: { default_expiry: 86400 } }, ...opts });
	const d = await h.Daemon.start(env);
	defer(t, () => d.stop());
	const admin = await d.client();
	return { d, env, admin };
}

async function stats(admin) {
	return h.ok(await admin.call('stats'), 'stats');
}

/*
 * An AGServer on 127.0.0.1:0 with `authEngine: new AuthEngine({ socketPath })`
 * (or the engine given), attached to its own HTTP server, once the engine
 * has the daemon's cache attached.  Returns
 * { agServer, engine, port, connections: Queue of 'connection' events,
 *   connection(): the next one, close() }.
 */
async function server(t, { socketPath, engine, ...agOptions } = {}) {
	if (!engine)
		engine = new AuthEngine({ socketPath });
	const httpServer = http.createServer();
	const agServer = scServer.attach(httpServer, { authEngine: engine, ...agOptions });
	const connections = listen(agServer, 'connection', 'server connection');
	await new Promise((resolve, reject) => {
		httpServer.once('error', reject);
		httpServer.listen(0, '127.0.0.1', resolve);
	});
	/* agauthd's engine maps the daemon's cache in the background: wait,
	 * so that verifications of tokens the daemon knows are cache hits */
	if (engine instanceof AuthEngine)
		await h.waitFor(() => engine.cacheAttached, { timeout: WAIT, what: 'the engine attaching the cache' });
	const srv = {
		agServer, engine, httpServer, connections,
		port: httpServer.address().port,
		connection: (ms) => connections.next(ms),
		closed: false,
		async close() {
			if (srv.closed)
				return;
			srv.closed = true;
			agServer.closeAllListeners();
			await h.within(agServer.close(), WAIT, 'AGServer close').catch(() => {});
			httpServer.closeAllConnections();
			await new Promise((resolve) => httpServer.close(resolve));
			if (typeof engine.close === 'function')
				await engine.close();
		},
	};
	defer(t, () => srv.close());
	return srv;
}

/*
 * A socketcluster-client socket to 127.0.0.1:port, holding `token` in its
 * auth engine's storage if given (as a browser holds it in localStorage),
 * connected unless `connect: false`.  Its events are queued: authenticate,
 * deauthenticate, removeAuthToken, connect, error.  `status` is the last
 * connect event's (isAuthenticated, authError).
 */
async function client(t, port, { token, connect = true, ...opts } = {}) {
	const socket = scClient.create({
		hostname: '127.0.0.1', port, autoConnect: false, autoReconnect: false,
		connectTimeout: WAIT, ...opts,
	});
	if (token !== undefined)
		await socket.auth.saveToken(socket.authTokenName, token, {});
	const cl = {
		socket,
		events: {},
		status: null,
		async connect() {
			const ev = await cl.events.connect.next();
			cl.status = ev;
			return ev;
		},
		/* disconnects (code 1000) and connects again with the token in
		 * storage, as a browser does on reload */
		async reconnect() {
			socket.disconnect();
			socket.connect();
			return cl.connect();
		},
		stored() {
			return socket.auth.loadToken(socket.authTokenName);
		},
		close() {
			socket.disconnect();
			socket.closeAllListeners();
		},
	};
	for (const name of ['connect', 'authenticate', 'deauthenticate', 'removeAuthToken', 'error'])
		cl.events[name] = listen(socket, name, `client ${name}`);
	defer(t, () => cl.close());
	if (connect) {
		socket.connect();
		await cl.connect();
	}
	return cl;
}

/* Connects a client and takes the server side's connection event with it:
 * { cl, conn } (conn: { socket, isAuthenticated, authError }). */
async function pair(t, srv, opts) {
	const conn = srv.connection();
	const cl = await client(t, srv.port, opts);
	return { cl, conn: await conn };
}

/* The token with one character of its payload changed (same signature). */
function tamper(token) {
	const [hd, pl, sig] = token.split('.');
	const payload = JSON.parse(Buffer.from(pl, 'base64url').toString('utf8'));
	payload.admin = true;
	return `${hd}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.${sig}`;
}

/* Asserts the client's connect status: authenticated (or not), and the
 * authError's name if one is expected. */
function assertStatus(status, { authenticated, error }) {
	assert.strictEqual(status.isAuthenticated, authenticated,
			   `isAuthenticated: ${JSON.stringify(status)}`);
	if (error === undefined)
		assert.ok(!status.authError, `unexpected authError: ${JSON.stringify(status.authError)}`);
	else
		assert.strictEqual(status.authError && status.authError.name, error,
				   `authError: ${JSON.stringify(status.authError)}`);
}

/*
 * Child processes running tests/sc/server-child.js: each an AGServer with
 * `new AuthEngine()` (the socket from $AGAUTHD_SOCKET) on its own port.
 * Returns { port, request(cmd): Promise of its reply, exited, kill() }.
 */
async function child(t, socketPath) {
	const proc = fork(path.join(__dirname, 'server-child.js'), [], {
		env: { ...process.env, AGAUTHD_SOCKET: socketPath },
		stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
	});
	const exited = new Promise((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal })));
	let serial = 0;
	const pending = new Map();
	const ready = new Queue('child ready');
	proc.on('message', (m) => {
		if (m.ready) {
			ready.push(m);
		} else if (pending.has(m.id)) {
			pending.get(m.id)(m);
			pending.delete(m.id);
		}
	});
	const c = {
		proc, exited,
		async request(msg) {
			const id = ++serial;
			const reply = await h.within(new Promise((resolve) => {
				pending.set(id, resolve);
				proc.send({ id, ...msg });
			}), WAIT, `child ${proc.pid} ${msg.cmd}`);
			if (reply.error)
				throw new Error(`child ${proc.pid} ${msg.cmd}: ${reply.error}`);
			return reply.result;
		},
		/* asks it to close everything and exit; SIGKILL if it does not */
		async stop() {
			if (proc.exitCode !== null || proc.signalCode !== null)
				return exited;
			proc.send({ cmd: 'exit' });
			try {
				return await h.within(exited, WAIT, `child ${proc.pid} exit`);
			} catch (e) {
				proc.kill('SIGKILL');
				await exited;
				throw e;
			}
		},
	};
	defer(t, () => c.stop().catch(() => {}));
	const r = await ready.next(15000);
	assert.strictEqual(r.cacheAttached, true, `child ${proc.pid}: the engine did not attach the cache`);
	c.port = r.port;
	return c;
}

module.exports = {
	h, AuthEngine, scServer, scClient, WAIT, TEST_TIMEOUT, Queue, defer, listen, daemon,
	stats, server, client, pair, tamper, assertStatus, child,
};
