'use strict';
/*
 * connection.test.js - AuthEngine's one pipelined connection: a daemon
 * that is down (the error names the socket), a restart (reconnect, and
 * the new daemon's cache attached), a crash with requests in flight,
 * a daemon that does not answer, many concurrent requests answered out
 * of order, and a process that can exit.
 */
const test = require('node:test');
const assert = require('node:assert');
const { spawnSync } = require('node:child_process');
const path = require('node:path');

const jwt = require('jsonwebtoken');

const { h, PKG, daemon, engine, attached, outcome, keyOf } = require('./helpers');

function assertAgauthError(r, code, message) {
	assert.strictEqual(r.ok, false, 'should have failed');
	assert.strictEqual(r.error.name, 'AgauthError');
	assert.strictEqual(r.error.code, code, r.error.message);
	if (message instanceof RegExp)
		assert.match(r.error.message, message);
	else
		assert.strictEqual(r.error.message, message);
}

test('a daemon that is down: the error names the socket path', async () => {
	const dir = h.tmpdir('node');
	const missing = path.join(dir, 'none.sock');
	const e = engine({ env: { sock: missing } }, { reconnectWait: 0 });

	for (let i = 0; i < 3; i++) {
		assertAgauthError(await outcome(e.verifyToken('a.b.c')), 'AG_E_CONNECT',
				  `agauthd unreachable at ${missing}: ENOENT`);
		assertAgauthError(await outcome(e.signToken({ a: 1 })), 'AG_E_CONNECT',
				  `agauthd unreachable at ${missing}: ENOENT`);
		await h.sleep(60);
	}
	/* a socket file nobody listens on */
	const d = await daemon();

	d.signal('SIGKILL');
	await d.waitExit();
	const e2 = engine(d);
	const t0 = Date.now();

	/* by default it waits for agauthd to come back, then gives up */
	assertAgauthError(await outcome(e2.verifyToken('a.b.c')), 'AG_E_CONNECT',
			  `agauthd unreachable at ${d.env.sock}: ECONNREFUSED`);
	assert.ok(Date.now() - t0 >= 1900, `waited ${Date.now() - t0} ms`);
	await d.stop({ expectKilled: true });
});

test('a request made while agauthd restarts waits for it instead of failing', async () => {
	const d = await daemon();
	const e = engine(d);
	const t1 = await e.signToken({ u: 1 });
	/* made once the engine knows agauthd is gone: a request sent in the
	 * instant before it sees the close is in flight, and fails (the test
	 * below) */
	const down = new Promise((r) => e.conn.once('disconnect', r));

	await d.stop();
	await down;
	const pending = outcome(e.verifyToken(t1));

	await h.sleep(300);
	await d.spawn();
	const r = await pending;

	assert.strictEqual(r.ok, true, r.error && r.error.message);
	assert.strictEqual(r.value.u, 1);
	await d.stop();
});

test('the engine reconnects after agauthd restarts, and attaches its new cache', async () => {
	const d = await daemon();
	const e = await attached(engine(d));
	const t1 = await e.signToken({ u: 1 });

	assert.deepStrictEqual((await e.verifyToken(t1)).u, 1);
	/* asked once the engine has seen agauthd go: a request sent before
	 * it sees the close is in flight, and fails otherwise */
	const down = new Promise((r) => e.conn.once('disconnect', r));

	await d.stop();
	await down;
	assertAgauthError(await outcome(e.verifyToken('a.b.c')), 'AG_E_CONNECT',
			  /^agauthd unreachable at .*: (ENOENT|ECONNREFUSED)$/);
	/* a token the old daemon cached: the cache is stale now, so the
	 * answer is the daemon's (none) */
	assertAgauthError(await outcome(e.verifyToken(t1)), 'AG_E_CONNECT', /unreachable/);
	await d.spawn();
	const v = await h.waitFor(() => e.verifyToken(t1).catch(() => null),
				  { what: 'a verify after the restart' });

	assert.strictEqual(v.u, 1);
	/* the new daemon's cache: a token it signed is a hit, with no request */
	await h.waitFor(() => e.cacheAttached, { what: 'the new cache attached' });
	const t2 = await e.signToken({ u: 2 });
	const before = await e.stats();

	for (let i = 0; i < 5; i++)
		assert.strictEqual((await e.verifyToken(t2)).u, 2);
	const after = await e.stats();

	assert.strictEqual(after.verifies, before.verifies, 'no verify reached the daemon');
	assert.ok(after.cache_hits >= before.cache_hits + 5, JSON.stringify(after));
	await d.stop();
});

test('requests in flight when agauthd dies reject, none is answered twice', async () => {
	const d = await daemon();
	const e = engine(d);
	const k = keyOf(d);

	await e.signToken({ warm: 1 });
	d.signal('SIGSTOP');
	const tokens = Array.from({ length: 50 }, (_, i) => jwt.sign({ i }, k.secret, { keyid: k.kid }));
	const inflight = tokens.map((t) => outcome(e.verifyToken(t)));

	await h.sleep(100);
	d.signal('SIGKILL');
	const results = await Promise.all(inflight);

	for (const r of results)
		assertAgauthError(r, 'AG_E_DISCONNECTED',
				  `connection to agauthd at ${d.env.sock} lost with the request in flight`);
	await d.stop({ expectKilled: true });
});

test('a daemon that does not answer: the request times out, the engine goes on', async () => {
	const d = await daemon();
	const e = engine(d, { timeout: 300 });

	await e.signToken({ warm: 1 });
	d.signal('SIGSTOP');
	const t0 = Date.now();

	assertAgauthError(await outcome(e.signToken({ a: 1 })), 'AG_E_DISCONNECTED',
			  `agauthd at ${d.env.sock} did not answer within 300 ms`);
	assert.ok(Date.now() - t0 < 2000);
	d.signal('SIGCONT');
	assert.match(await e.signToken({ a: 2 }), /^ey/);
	await d.stop();
});

test('many concurrent requests on one connection, answered out of order', async () => {
	/* RSA signs are slow, HS256 verifies fast */
	const d = await daemon({ keys: [{ name: 'rs', type: 'rsa2048', state: 'primary' },
					{ name: 'hs', type: 'hs256', state: 'verify' }] });
	const e = await attached(engine(d));
	const k = keyOf(d, 'hs');
	const before = await e.stats();
	const N = 2000;
	const order = [];
	const jobs = [];

	for (let i = 0; i < N; i++) {
		if (i % 100 === 0) {
			jobs.push(e.signToken({ i }).then((t) => {
				order.push('sign');
				return jwt.decode(t).i === i;
			}));
			continue;
		}
		const t = jwt.sign({ i }, k.secret, { keyid: k.kid });

		jobs.push(e.verifyToken(t).then((p) => {
			order.push('verify');
			return p.i === i;
		}));
	}
	assert.ok((await Promise.all(jobs)).every(Boolean), 'every reply matched its request');
	const after = await e.stats();

	assert.strictEqual(after.connections, before.connections, 'one connection (beside the cache\'s) carried them all');
	assert.ok(after.requests - before.requests >= N, `${after.requests - before.requests} requests`);
	/* the first request was a sign: a verify sent after it came back first */
	assert.notStrictEqual(order[0], 'sign', 'replies came out of order');
	await d.stop();
});

test('a process with an engine exits: after close(), and when idle without it', async () => {
	const d = await daemon();
	const script = (close) => `
		const { AuthEngine } = require(${JSON.stringify(PKG)});
		const e = new AuthEngine({ socketPath: ${JSON.stringify(d.env.sock)} });
		e.signToken({ a: 1 }).then((t) => e.verifyToken(t)).then(() => e.verifyToken('x.y.z'))
			.catch(() => {}).then(() => { e.watch(); ${close ? 'return e.close();' : 'e.watcher.close();'} })
			.then(() => console.log('done'));`;

	for (const close of [true, false]) {
		const r = spawnSync(process.execPath, ['-e', script(close)],
				    { encoding: 'utf8', timeout: 10000 });

		assert.strictEqual(r.status, 0, r.stderr);
		assert.strictEqual(r.stdout.trim(), 'done');
	}
	await d.stop();
});

/* close() settles even when agauthd does not answer the hang-up: the
 * closing connection keeps the process alive until it is closed (at
 * most a second), so `await engine.close()` is never the last thing a
 * process does before it silently exits. */
test('close() settles while agauthd does not answer the hang-up', async () => {
	const d = await daemon();
	const script = `
		const { AuthEngine } = require(${JSON.stringify(PKG)});
		const e = new AuthEngine({ socketPath: ${JSON.stringify(d.env.sock)} });
		e.signToken({ a: 1 }).then(() => {
			process.kill(${d.pid}, 'SIGSTOP');
			return e.close();
		}).then(() => console.log('closed'));`;

	try {
		/* no addon: its attach (a request of its own, which a stopped
		 * daemon holds up to its timeout) is not what is tested here */
		const r = spawnSync(process.execPath, ['-e', script], {
			encoding: 'utf8', timeout: h.slow(30000), env: { ...process.env, AGAUTHD_NO_ADDON: '1' },
		});

		assert.strictEqual(r.status, 0, r.stderr);
		assert.strictEqual(r.stdout.trim(), 'closed', 'the process exited with close() unsettled');
	} finally {
		d.signal('SIGCONT');
	}
	await d.stop();
});
