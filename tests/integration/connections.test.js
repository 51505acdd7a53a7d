'use strict';
/* 5. A thousand concurrent connections. */
const test = require('node:test');
const assert = require('node:assert');

const jwt = require('jsonwebtoken');

const h = require('./harness');

const N = 1000;

test(`${N} concurrent connections: hello and verify on each, then all close`, { timeout: h.TEST_TIMEOUT }, async (t) => {
	const env = h.setup();
	const d = await h.Daemon.start(env);
	t.after(() => d.cleanup());
	const admin = await d.client();
	const stats = async () => h.ok(await admin.call('stats')).connections;
	const tok = (i) => jwt.sign({ i }, env.keys.hs1.secret, { algorithm: 'HS256', keyid: 'hs1', expiresIn: '1h' });

	/* open them all, in batches so that the listen backlog is no limit */
	const conns = [];
	for (let i = 0; i < N; i += 100) {
		const batch = [];
		for (let j = i; j < Math.min(N, i + 100); j++)
			batch.push(h.Client.connect(env.sock));
		conns.push(...await Promise.all(batch));
	}
	assert.strictEqual(conns.length, N);
	await h.waitFor(async () => (await stats()) === N + 1,
			{ timeout: 15000, what: `stats.connections == ${N + 1}` });

	/* hello + verify on every one of them, all at once */
	const results = await Promise.all(conns.map(async (c, i) => {
		h.ok(await c.call('hello', { v: 1 }), `hello on connection ${i}`);
		const r = h.ok(await c.call('verify', { token: tok(i) }), `verify on connection ${i}`);
		return h.payloadOf(r).i;
	}));
	assert.deepStrictEqual(results, conns.map((_, i) => i));
	for (const c of conns)
		assert.deepStrictEqual(c.strays, []);
	assert.strictEqual(await stats(), N + 1);

	for (const c of conns)
		c.end();
	await Promise.all(conns.map((c) => c.closed));
	await h.waitFor(async () => (await stats()) === 1,
			{ timeout: 15000, what: 'stats.connections back to 1' });
	h.ok(await admin.call('ping'));
	await d.stop();
});

test('max_connections: connections over the ceiling are closed at once', { timeout: h.TEST_TIMEOUT }, async (t) => {
	const env = h.setup({ conf: { limits: { max_connections: 5 } } });
	const d = await h.Daemon.start(env);
	t.after(() => d.cleanup());
	const admin = await d.client();
	const conns = [];
	for (let i = 0; i < 4; i++)
		conns.push(await d.client());
	/* the sixth and later are accepted and closed */
	for (let i = 0; i < 3; i++) {
		const c = await h.Client.connect(env.sock);
		assert.ok(await c.waitClosed(5000), 'a connection over max_connections stayed open');
	}
	const st = h.ok(await admin.call('stats'));
	assert.strictEqual(st.connections, 5);
	assert.ok(st.busy >= 3, `stats.busy ${st.busy}`);
	/* a place frees up: the next one is served */
	conns.pop().end();
	await h.waitFor(async () => h.ok(await admin.call('stats')).connections === 4, { what: 'a place to free up' });
	const c = await d.client();
	h.ok(await c.call('ping'));
	await d.stop();
});
