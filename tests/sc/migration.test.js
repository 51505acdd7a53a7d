'use strict';
/*
 * Moving a running SocketCluster app onto agauthd: tokens its stock
 * server issued with `authKey` (ag-auth 2.1.1 over jsonwebtoken) keep
 * authenticating once that authKey is imported into the keyring as a
 * kid-less raw HS256 key (docs/operations.md, README.md), before and after
 * a rotation; and until the rotation, tokens agauthd issues still verify
 * with the old authKey (a rollback logs nobody out).
 */
const test = require('node:test');
const assert = require('node:assert');

const AgAuth = require('ag-auth');

const sc = require('./sc');

const { h } = sc;

const AUTH_KEY = 'the-apps-old-authKey: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08';

test('an app\'s authKey imported: its old tokens authenticate through agauthd', { timeout: sc.TEST_TIMEOUT }, async (t) => {
	/* before: the stock server (ag-auth with authKey) logs alice in */
	const old = await sc.server(t, { engine: new AgAuth(), authKey: AUTH_KEY });
	const a = await sc.pair(t, old);
	const ev = a.cl.events.authenticate.next();
	await a.conn.socket.setAuthToken({ username: 'alice', channels: ['news'] });
	const scToken = (await ev).signedAuthToken;
	assert.deepStrictEqual(h.decodeToken(scToken).header, { alg: 'HS256', typ: 'JWT' });
	const aliceToken = a.conn.socket.authToken;
	/* and one signed by ag-auth directly, as app code does */
	const direct = await new AgAuth().signToken({ username: 'bob' }, AUTH_KEY, { expiresIn: 3600 });
	a.cl.close();
	await old.close();

	/* the import, as README.md's steps: the authKey's bytes as a raw
	 * HS256 key without kid, primary */
	const { env, admin } = await sc.daemon(t, { keys: [
		{ name: 'socketcluster', material: AUTH_KEY, encoding: 'raw', algorithm: 'HS256', kid: '', state: 'primary' },
	] });
	const srv = await sc.server(t, { socketPath: env.sock });

	/* alice's browser comes back with the token it holds */
	const b = await sc.pair(t, srv, { token: await a.cl.stored() });
	assert.strictEqual(await a.cl.stored(), scToken);
	sc.assertStatus(b.cl.status, { authenticated: true });
	assert.deepStrictEqual(b.conn.socket.authToken, aliceToken);
	const d = await sc.pair(t, srv, { token: direct });
	sc.assertStatus(d.cl.status, { authenticated: true });
	assert.strictEqual(d.conn.socket.authToken.username, 'bob');

	/* a token with the authKey's shape but another key: refused */
	const wrong = await new AgAuth().signToken({ username: 'eve' }, `${AUTH_KEY}x`, { expiresIn: 3600 });
	const w = await sc.pair(t, srv, { token: wrong });
	sc.assertStatus(w.cl.status, { authenticated: false, error: 'AuthTokenInvalidError' });

	/* what agauthd issues with the imported key primary: no kid, and the
	 * stock engine with the authKey accepts it (rollback) */
	const next = b.cl.events.authenticate;
	next.clear();
	const e2 = next.next();
	await b.conn.socket.setAuthToken({ username: 'alice', round: 2 });
	const issued = (await e2).signedAuthToken;
	assert.deepStrictEqual(h.decodeToken(issued).header, { alg: 'HS256', typ: 'JWT' });
	assert.deepStrictEqual(await new AgAuth().verifyToken(issued, AUTH_KEY, {}), b.conn.socket.authToken);

	/* rotate: a fresh primary with a kid; the authKey's tokens still get
	 * in, new ones carry the new kid */
	const rot = h.ok(await admin.call('rotate'), 'rotate');
	for (const token of [scToken, direct, issued]) {
		const p = await sc.pair(t, srv, { token });
		sc.assertStatus(p.cl.status, { authenticated: true });
	}
	next.clear();
	const e3 = next.next();
	await b.conn.socket.setAuthToken({ username: 'alice', round: 3 });
	assert.strictEqual(h.decodeToken((await e3).signedAuthToken).header.kid, rot.kid);
});
