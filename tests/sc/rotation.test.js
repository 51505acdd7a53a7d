'use strict';
/*
 * Key rotation while SocketCluster sockets are live: the `rotate`
 * operation (admin) makes a new primary key and demotes the old one to
 * verify until now + default_expiry (docs/operations.md).
 */
const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');

const jwt = require('jsonwebtoken');

const sc = require('./sc');

const { h } = sc;

test('rotation: old sockets stay authenticated, old tokens reconnect, new tokens carry the new kid', { timeout: sc.TEST_TIMEOUT }, async (t) => {
	const { env, admin } = await sc.daemon(t);
	const srv = await sc.server(t, { socketPath: env.sock });

	/* two users logged in by the server before the rotation */
	const users = [];
	for (const username of ['alice', 'bob']) {
		const p = await sc.pair(t, srv);
		const ev = p.cl.events.authenticate.next();
		await p.conn.socket.setAuthToken({ username });
		const token = (await ev).signedAuthToken;
		assert.strictEqual(h.decodeToken(token).header.kid, 'hs1');
		users.push({ ...p, username, token });
	}

	const rot = h.ok(await admin.call('rotate'), 'rotate');
	assert.notStrictEqual(rot.kid, 'hs1');
	const ks = h.ok(await admin.call('keys')).keys;
	assert.strictEqual(ks.find((k) => k.kid === rot.kid).state, 'primary');
	assert.strictEqual(ks.find((k) => k.kid === 'hs1').state, 'verify');

	/* the live sockets are still authenticated, and re-presenting their
	 * token on the live socket (#authenticate: verifyToken again) works */
	for (const u of users) {
		assert.strictEqual(u.conn.socket.authState, 'authenticated');
		const st = await u.cl.socket.authenticate(u.token);
		assert.strictEqual(st.isAuthenticated, true, `${u.username}: ${JSON.stringify(st)}`);
		assert.strictEqual(u.cl.socket.authState, 'authenticated');
		assert.strictEqual(u.conn.socket.authState, 'authenticated');
		assert.strictEqual(u.conn.socket.authToken.username, u.username);
		assert.strictEqual(u.cl.events.deauthenticate.count, 0);
	}

	/* reconnects with the old tokens: authenticated (grace window) */
	for (const u of users) {
		const next = srv.connection();
		sc.assertStatus(await u.cl.reconnect(), { authenticated: true });
		const conn = await next;
		assert.strictEqual(conn.socket.authToken.username, u.username);
		assert.strictEqual(conn.socket.signedAuthToken, u.token);
		u.conn = conn;
	}

	/* a fresh client that never saw the old token's server: the same */
	const c = await sc.pair(t, srv, { token: users[0].token });
	sc.assertStatus(c.cl.status, { authenticated: true });

	/* new tokens, after the rotation, carry the new kid, and verify */
	const ev = users[1].cl.events.authenticate;
	ev.clear();
	const next = ev.next();
	await users[1].conn.socket.setAuthToken({ username: 'bob', round: 2 });
	const fresh = (await next).signedAuthToken;
	assert.deepStrictEqual(h.decodeToken(fresh).header, { alg: 'HS256', typ: 'JWT', kid: rot.kid });
	const f = await sc.pair(t, srv, { token: fresh });
	sc.assertStatus(f.cl.status, { authenticated: true });
	assert.strictEqual(f.conn.socket.authToken.round, 2);

	/* a token signed with the old key but claiming the new kid is no
	 * way around: refused */
	const liar = jwt.sign({ username: 'mallory' }, env.keys.hs1.secret, { keyid: rot.kid, expiresIn: 60 });
	const l = await sc.pair(t, srv, { token: liar });
	sc.assertStatus(l.cl.status, { authenticated: false, error: 'AuthTokenInvalidError' });

	/* once the old key is retired (reload with it retired), its tokens
	 * stop: the grace window is the keyring's, not the engine's */
	const text = fs.readFileSync(env.keyring, 'utf8');
	fs.writeFileSync(env.keyring, text.replace(/(\[key hs1\][^[]*?state = )verify/, '$1retired'));
	h.ok(await admin.call('reload'), 'reload');
	assert.strictEqual(h.ok(await admin.call('keys')).keys.find((k) => k.kid === 'hs1').state, 'retired');
	const r = await sc.pair(t, srv, { token: users[0].token });
	sc.assertStatus(r.cl.status, { authenticated: false, error: 'AuthTokenInvalidError' });
	const again = await sc.pair(t, srv, { token: fresh });
	sc.assertStatus(again.cl.status, { authenticated: true });
});
