'use strict';
/*
 * Four SocketCluster server processes on one host share one daemon: a
 * token one of them issues authenticates in every other, and there it is
 * a hit in the shared-memory cache (the daemon signed it, so it cached
 * it): the daemon verifies nothing over IPC, and counts the hits the
 * engines report.  And two hosts, each with its own daemon, given the
 * same keyring, accept each other's tokens.
 */
const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');

const sc = require('./sc');

const { h } = sc;
const N = 4;

test('four server processes, one daemon: tokens cross processes as cache hits', { timeout: sc.TEST_TIMEOUT }, async (t) => {
	const { env, admin } = await sc.daemon(t);
	const children = await Promise.all(Array.from({ length: N }, () => sc.child(t, env.sock)));
	const ports = new Set(children.map((c) => c.port));
	assert.strictEqual(ports.size, N, 'each server on its own port');

	/* logs in through server i (its procedure calls setAuthToken) */
	const login = async (i, data) => {
		const cl = await sc.client(t, children[i].port);
		const ev = cl.events.authenticate.next();
		await cl.socket.invoke('login', data);
		return { cl, token: (await ev).signedAuthToken };
	};
	/* server i's view of its sockets */
	const sockets = (i) => children[i].request({ cmd: 'sockets' });

	for (const [from, data] of [[0, { sub: 'alice', n: 0 }], [N - 1, { sub: 'bob', n: N - 1 }]]) {
		const { token } = await login(from, data);
		const [issuer] = (await sockets(from)).filter((s) => s.signedAuthToken === token);
		assert.ok(issuer, `server ${from} holds the socket it logged in`);
		assert.deepStrictEqual(h.decodeToken(token).payload, issuer.authToken);

		const before = await sc.stats(admin);
		for (let i = 0; i < N; i++) {
			if (i === from)
				continue;
			const cl = await sc.client(t, children[i].port, { token });
			sc.assertStatus(cl.status, { authenticated: true });
			const [s] = (await sockets(i)).filter((x) => x.signedAuthToken === token);
			assert.ok(s, `server ${i} has no socket with server ${from}'s token`);
			assert.strictEqual(s.authState, 'authenticated');
			assert.deepStrictEqual(s.authToken, issuer.authToken,
					       `server ${i} sees another authToken than server ${from}`);
		}
		/* each engine reports its hits with its next request: stats()
		 * through every other server's engine is one */
		for (let i = 0; i < N; i++)
			if (i !== from)
				await children[i].request({ cmd: 'stats' });
		const after = await sc.stats(admin);
		t.diagnostic(`token of server ${from}: cache_hits ${before.cache_hits} -> ${after.cache_hits}, ` +
			     `cache_misses ${before.cache_misses} -> ${after.cache_misses}, ` +
			     `verifies ${before.verifies} -> ${after.verifies}`);
		assert.ok(after.cache_hits >= before.cache_hits + (N - 1),
			  `cache_hits grew by ${after.cache_hits - before.cache_hits}, want at least ${N - 1}`);
		assert.strictEqual(after.verifies, before.verifies,
				   'the daemon verified a token the cache held');
	}

	/* every child closes its server and engine and exits 0 */
	for (const c of children)
		assert.deepStrictEqual(await c.stop(), { code: 0, signal: null });
});

test('two hosts, each with its own daemon, one keyring: tokens verify on either; revocations stay per daemon', { timeout: sc.TEST_TIMEOUT }, async (t) => {
	/* host A makes the key; the operator copies the key file to host B */
	const a = await sc.daemon(t);
	const b = await sc.daemon(t, { keys: [
		{ name: 'hs1', type: 'hs256', state: 'primary', material: fs.readFileSync(a.env.keys.hs1.file) },
	] });
	const sa = await sc.server(t, { socketPath: a.env.sock });
	const sb = await sc.server(t, { socketPath: b.env.sock });

	/* logged in on A, comes back on B; and the other way round */
	const issue = async (srv, data) => {
		const p = await sc.pair(t, srv);
		const ev = p.cl.events.authenticate.next();
		await p.conn.socket.setAuthToken(data);
		return { ...p, token: (await ev).signedAuthToken };
	};
	const onA = await issue(sa, { sub: 'alice' });
	const onB = await issue(sb, { sub: 'bob' });
	for (const [srv, x, who] of [[sb, onA, 'A\'s token on B'], [sa, onB, 'B\'s token on A']]) {
		const p = await sc.pair(t, srv, { token: x.token });
		assert.strictEqual(p.cl.status.isAuthenticated, true, `${who}: ${JSON.stringify(p.cl.status)}`);
		assert.deepStrictEqual(p.conn.socket.authToken, x.conn.socket.authToken);
	}

	/* a revocation on A is in force on A only (README.md: revoke on
	 * every host) */
	h.ok(await a.admin.call('revoke', { sub: 'alice' }), 'revoke on A');
	const ra = await sc.pair(t, sa, { token: onA.token });
	sc.assertStatus(ra.cl.status, { authenticated: false, error: 'AuthTokenInvalidError' });
	const rb = await sc.pair(t, sb, { token: onA.token });
	sc.assertStatus(rb.cl.status, { authenticated: true });
	h.ok(await b.admin.call('revoke', { sub: 'alice' }), 'revoke on B');
	const rb2 = await sc.pair(t, sb, { token: onA.token });
	sc.assertStatus(rb2.cl.status, { authenticated: false, error: 'AuthTokenInvalidError' });
});
