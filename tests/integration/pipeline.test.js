'use strict';
/*
 * 3. Pipelining: replies come in completion order and are matched by id.
 * An RS256 sign goes to the crypto pool; HS256 verifies sent after it on
 * the same connection run inline and overtake it.
 */
const test = require('node:test');
const assert = require('node:assert');

const jwt = require('jsonwebtoken');

const h = require('./harness');

test('pipelined requests on one connection get out-of-order replies, one per id', { timeout: h.TEST_TIMEOUT }, async (t) => {
	const env = h.setup({ keys: [
		{ name: 'rs1', type: 'rsa2048', state: 'primary' },
		{ name: 'hs1', type: 'hs256', state: 'verify' },
	] });
	const d = await h.Daemon.start(env);
	t.after(() => d.cleanup());
	const c = await d.client();
	const N = 300;
	const tokens = [];
	for (let i = 0; i < N; i++)
		tokens.push(jwt.sign({ i }, env.keys.hs1.secret, { algorithm: 'HS256', keyid: 'hs1', expiresIn: '1h' }));

	for (let round = 0; round < 3; round++) {
		const before = c.replies.length;
		/* no await in between, and corked: the sign and the verifies
		 * after it reach the daemon together, so it reads the sign before
		 * them (otherwise the sign could finish before they arrive) */
		c.sock.cork();
		const sign = c.call('sign', { payload: JSON.stringify({ round }) });
		const verifies = tokens.map((token) => c.call('verify', { token }));
		c.sock.uncork();
		const [s, ...vs] = await Promise.all([sign, ...verifies]);

		h.ok(s, 'RS256 sign');
		assert.strictEqual(h.decodeToken(s.token).header.alg, 'RS256');
		jwt.verify(s.token, env.keys.rs1.pub, { algorithms: ['RS256'] });
		vs.forEach((r, i) => {
			h.ok(r, `verify ${i}`);
			assert.deepStrictEqual(h.payloadOf(r).i, i, `reply to verify ${i} carries another payload`);
			assert.strictEqual(r.kid, 'hs1');
		});
		/* exactly one reply per id, none for ids never sent */
		const got = c.replies.slice(before).map((r) => r.id);
		assert.strictEqual(got.length, N + 1, `${got.length} replies for ${N + 1} requests`);
		assert.strictEqual(new Set(got).size, N + 1, 'an id was answered twice');
		assert.deepStrictEqual(c.strays, []);
		/* an inline HS verify overtook the pooled RS sign */
		const signAt = got.indexOf(s.id);
		assert.ok(signAt > 0, `the RS256 sign (id ${s.id}) was answered first of ${N + 1}: no overtaking`);
	}
	await d.stop();
});

test('a client that does not read is held back by max_output, then served in full', { timeout: h.TEST_TIMEOUT }, async (t) => {
	/* frame_timeout 1: being held back must not count as a stalled frame */
	const env = h.setup({ conf: { limits: { max_output: 4096, frame_timeout: 1, max_inflight: 64 } } });
	const d = await h.Daemon.start(env);
	t.after(() => d.cleanup());
	const c = await d.client();
	const tokens = [];
	for (let i = 0; i < 50; i++)
		tokens.push(jwt.sign({ i, pad: 'p'.repeat(200) }, env.keys.hs1.secret, { algorithm: 'HS256', keyid: 'hs1' }));
	const N = 3000;
	c.sock.pause();
	c.sock.cork();
	const ps = [];
	for (let i = 0; i < N; i++)
		ps.push(c.call('verify', { token: tokens[i % tokens.length] }, { timeout: 30000 }));
	c.sock.uncork();
	/* the daemon stops reading once 4 KiB of replies wait unread; give it
	 * time to (wrongly) time the connection out */
	await h.sleep(2500);
	assert.strictEqual(c.isClosed, false, 'closed while the client was not reading');
	const other = await h.Client.open(env.sock);
	h.ok(await other.call('verify', { token: tokens[0] }), 'another client while one does not read');
	other.destroy();
	c.sock.resume();
	const rs = await Promise.all(ps);
	rs.forEach((r, i) => assert.strictEqual(h.payloadOf(h.ok(r, `verify ${i}`)).i, i % tokens.length));
	assert.deepStrictEqual(c.strays, []);
	await d.stop();
});

test('clients that vanish with requests in flight, and SIGTERM with requests in flight', { timeout: h.TEST_TIMEOUT }, async (t) => {
	const env = h.setup({ keys: [{ name: 'rs1', type: 'rsa2048', state: 'primary' }], conf: { daemon: { threads: 1 } } });
	const d = await h.Daemon.start(env);
	t.after(() => d.cleanup());
	for (let k = 0; k < 5; k++) {
		const c = await h.Client.open(env.sock);
		c.sock.cork();
		for (let i = 0; i < 40; i++)
			c.call('sign', { payload: '{}' }).catch(() => {});
		c.sock.uncork();
		await h.sleep(k * 5);
		c.destroy();
	}
	const c = await d.client();
	h.ok(await c.call('sign', { payload: '{"still":"here"}' }), 'sign after clients vanished');
	/* SIGTERM with the pool busy: the daemon finishes the running jobs,
	 * answers the queued ones "agauthd is stopping", and exits 0 */
	c.sock.cork();
	const ps = [];
	for (let i = 0; i < 100; i++)
		ps.push(c.call('sign', { payload: '{}' }).then(
			(r) => r.ok ? h.ok(r) : h.fails(r, 'AG_E_BUSY', { message: 'agauthd is stopping' }),
			(e) => assert.strictEqual(e.code, 'ECLOSED')));
	c.sock.uncork();
	await h.waitFor(() => c.replies.length > 2, { timeout: 10000, what: 'the first replies' });
	d.signal('SIGTERM');
	await Promise.all(ps);
	await d.stop();
});

test('SIGTERM does not wait for a long crypto queue', { timeout: h.TEST_TIMEOUT }, async (t) => {
	const env = h.setup({ keys: [{ name: 'rs1', type: 'rsa2048', state: 'primary' }],
			      conf: { daemon: { threads: 1 }, limits: { max_inflight: 4096 } } });
	const d = await h.Daemon.start(env);
	t.after(() => d.cleanup());
	const c = await d.client();
	/* 3,000 RSA signs on one thread: many seconds of queued work */
	c.sock.cork();
	for (let i = 0; i < 3000; i++)
		c.call('sign', { payload: '{}' }).catch(() => {});
	c.sock.uncork();
	await h.waitFor(() => c.replies.length > 2, { timeout: 10000, what: 'the first signs' });
	const t0 = Date.now();
	d.signal('SIGTERM');
	const exit = await d.waitExit(10000);
	const took = Date.now() - t0;
	const stopping = c.replies.filter((r) => r.code === 'AG_E_BUSY').length;
	t.diagnostic(`exited ${took} ms after SIGTERM; ${stopping} queued signs answered "agauthd is stopping"`);
	assert.deepStrictEqual(exit, { code: 0, signal: null });
	assert.ok(took < h.slow(3000), `took ${took} ms to stop`);
	d.assertClean();
});
