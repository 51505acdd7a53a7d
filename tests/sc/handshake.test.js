'use strict';
/*
 * SocketCluster's handshake and setAuthToken through agauthd: a real
 * socketcluster-server 20 whose authEngine is client/node's AuthEngine,
 * real socketcluster-client 20 clients, a real daemon.
 */
const test = require('node:test');
const assert = require('node:assert');

const sc = require('./sc');

const { h } = sc;
const now = () => Math.floor(Date.now() / 1000);

/* A token the daemon signs (as another worker's setAuthToken would). */
async function signed(admin, payload, opts = { expiresIn: 3600 }) {
	const r = h.ok(await admin.call('sign', { payload: JSON.stringify(payload), opts: JSON.stringify(opts) }), 'sign');
	return r.token;
}

test('a valid token authenticates; setAuthToken reaches the client, which reconnects with it', { timeout: sc.TEST_TIMEOUT }, async (t) => {
	const { env, admin } = await sc.daemon(t);
	const srv = await sc.server(t, { socketPath: env.sock });

	/* a token issued earlier, held by the client: the handshake carries it */
	const token = await signed(admin, { sub: 'alice', username: 'alice', channels: ['a'] });
	const { cl, conn } = await sc.pair(t, srv, { token });
	sc.assertStatus(cl.status, { authenticated: true });
	assert.strictEqual(conn.isAuthenticated, true);
	const payload = h.decodeToken(token).payload;
	assert.deepStrictEqual(conn.socket.authToken, payload);
	assert.strictEqual(conn.socket.signedAuthToken, token);
	assert.strictEqual(conn.socket.authState, 'authenticated');
	assert.strictEqual(cl.socket.authState, 'authenticated');
	assert.deepStrictEqual(cl.socket.authToken, payload);

	/* no token: not authenticated and no error (verifyToken(null) rejects,
	 * which SocketCluster ignores for a missing token) */
	const b = await sc.pair(t, srv);
	sc.assertStatus(b.cl.status, { authenticated: false });
	assert.strictEqual(b.conn.socket.authState, 'unauthenticated');

	/* the server logs it in: socket.setAuthToken signs through the engine
	 * with mutatePayload, so the server's authToken gains iat and exp */
	const data = { username: 'bob', channels: ['b', 'c'] };
	const t0 = now();
	const authenticated = b.cl.events.authenticate.next();
	await b.conn.socket.setAuthToken(data);
	const ev = await authenticated;
	const got = ev.signedAuthToken;
	assert.strictEqual(typeof got, 'string');
	const server = b.conn.socket.authToken;
	assert.notStrictEqual(server, data, 'setAuthToken clones its data');
	assert.deepStrictEqual(Object.keys(server), ['username', 'channels', 'iat', 'exp']);
	assert.ok(Number.isInteger(server.iat) && server.iat >= t0 - 1 && server.iat <= now() + 1,
		  `iat ${server.iat}, now ${now()}`);
	assert.strictEqual(server.exp, server.iat + 86400, 'authDefaultExpiry is 86400 s');
	const dec = h.decodeToken(got);
	assert.deepStrictEqual(dec.payload, server, 'the token carries exactly the mutated payload');
	assert.deepStrictEqual(dec.header, { alg: 'HS256', typ: 'JWT', kid: 'hs1' });
	assert.strictEqual(b.conn.socket.signedAuthToken, got);
	assert.deepStrictEqual(b.cl.socket.authToken, server);
	assert.strictEqual(await b.cl.stored(), got, 'the client stored the token');

	/* reconnect (a page reload): the stored token authenticates a new
	 * server socket with the same authToken, iat and exp included */
	const again = srv.connection();
	sc.assertStatus(await b.cl.reconnect(), { authenticated: true });
	const conn2 = await again;
	assert.notStrictEqual(conn2.socket.id, b.conn.socket.id);
	assert.strictEqual(conn2.isAuthenticated, true);
	assert.deepStrictEqual(conn2.socket.authToken, server);
	assert.strictEqual(conn2.socket.signedAuthToken, got);
	assert.strictEqual(b.cl.socket.signedAuthToken, got);

	/* an explicit exp in the data wins over authDefaultExpiry */
	const exp = now() + 600;
	b.cl.events.authenticate.clear();       /* the reconnect's own event */
	const ev2 = b.cl.events.authenticate.next();
	await conn2.socket.setAuthToken({ username: 'bob', exp });
	const p2 = h.decodeToken((await ev2).signedAuthToken).payload;
	assert.strictEqual(p2.exp, exp);
	assert.deepStrictEqual(conn2.socket.authToken, p2);
});

test('expired, not yet valid and tampered tokens at the handshake', { timeout: sc.TEST_TIMEOUT }, async (t) => {
	const { env, admin } = await sc.daemon(t);
	const srv = await sc.server(t, { socketPath: env.sock });
	const bad = sc.listen(srv.agServer, 'badSocketAuthToken', 'badSocketAuthToken');

	/* a token that expires in a second: the daemon cached it when it
	 * signed it, so its refusal later comes from the cache's side */
	const soon = await signed(admin, { username: 'erin' }, { expiresIn: 1 });
	const valid = await signed(admin, { username: 'dave' });

	/* expired: AuthTokenExpiredError, a bad token: the server emits
	 * badSocketAuthToken and sends #removeAuthToken, the client drops it */
	const expired = await signed(admin, { username: 'carol', exp: now() - 60 }, {});
	const e = await sc.pair(t, srv, { token: expired });
	sc.assertStatus(e.cl.status, { authenticated: false, error: 'AuthTokenExpiredError' });
	assert.strictEqual(e.cl.status.authError.message, 'jwt expired');
	assert.strictEqual(e.conn.socket.authState, 'unauthenticated');
	assert.strictEqual(e.conn.socket.authToken, null);
	const be = await bad.next();
	assert.strictEqual(be.authError.name, 'AuthTokenExpiredError');
	assert.strictEqual(be.signedAuthToken, expired);
	assert.strictEqual((await e.cl.events.removeAuthToken.next()).oldAuthToken, expired);
	assert.strictEqual(await e.cl.stored(), null, 'the client still holds the expired token');

	/* not yet valid (nbf an hour ahead): AuthTokenNotBeforeError, not a
	 * bad token: no badSocketAuthToken, and the client keeps it */
	const early = await signed(admin, { username: 'frank' }, { expiresIn: 7200, notBefore: 3600 });
	const n = await sc.pair(t, srv, { token: early });
	sc.assertStatus(n.cl.status, { authenticated: false, error: 'AuthTokenNotBeforeError' });
	assert.strictEqual(n.cl.status.authError.message, 'jwt not active');
	assert.strictEqual(n.conn.socket.authState, 'unauthenticated');

	/* tampered (payload changed, signature kept): AuthTokenInvalidError */
	const forged = sc.tamper(valid);
	const f = await sc.pair(t, srv, { token: forged });
	sc.assertStatus(f.cl.status, { authenticated: false, error: 'AuthTokenInvalidError' });
	assert.strictEqual(f.cl.status.authError.message, 'invalid signature');
	const bf = await bad.next();
	assert.strictEqual(bf.authError.name, 'AuthTokenInvalidError');
	assert.strictEqual(bf.signedAuthToken, forged);
	assert.strictEqual((await f.cl.events.removeAuthToken.next()).oldAuthToken, forged);
	assert.strictEqual(await f.cl.stored(), null);

	/* the not-yet-valid one was never reported bad nor removed: the
	 * server sends #removeAuthToken before its handshake reply, and two
	 * later handshakes have completed since */
	assert.strictEqual(n.cl.events.removeAuthToken.count, 0, 'the client was told to drop a not-yet-valid token');
	assert.strictEqual(await n.cl.stored(), early, 'the client lost its not-yet-valid token');
	assert.strictEqual(bad.count, 2, 'a not-yet-valid token was reported as bad');

	/* the valid token is untouched by its forgery */
	const v = await sc.pair(t, srv, { token: valid });
	sc.assertStatus(v.cl.status, { authenticated: true });
	assert.strictEqual(v.conn.socket.authToken.username, 'dave');

	/* the one-second token, once past its exp: refused as expired */
	const exp = h.decodeToken(soon).payload.exp;
	await h.waitFor(() => Date.now() >= exp * 1000, { timeout: 3000, what: 'exp' });
	const s = await sc.pair(t, srv, { token: soon });
	sc.assertStatus(s.cl.status, { authenticated: false, error: 'AuthTokenExpiredError' });
	assert.strictEqual((await bad.next()).signedAuthToken, soon);
	assert.strictEqual((await s.cl.events.removeAuthToken.next()).oldAuthToken, soon);
});

/* A token the daemon signed is in the cache; the same token with one
 * character changed - header, payload or signature - is another token:
 * no handshake authenticates with it, and none of them is a cache hit. */
test('a cached token with one byte changed does not authenticate', { timeout: sc.TEST_TIMEOUT }, async (t) => {
	const { env, admin } = await sc.daemon(t);
	const srv = await sc.server(t, { socketPath: env.sock });
	const token = await signed(admin, { username: 'grace', admin: false });
	const [hd, pl, sig] = token.split('.');
	const flip = (s, i) => s.slice(0, i) + (s[i] === 'A' ? 'B' : 'A') + s.slice(i + 1);
	const forged = [
		`${flip(hd, hd.length - 1)}.${pl}.${sig}`,
		`${hd}.${flip(pl, pl.length >> 1)}.${sig}`,
		`${hd}.${pl}.${flip(sig, 0)}`,
		`${hd}.${pl}.${flip(sig, sig.length - 1)}`,
	];
	const ok = await sc.pair(t, srv, { token });
	sc.assertStatus(ok.cl.status, { authenticated: true });
	const s0 = await srv.engine.stats();

	for (const f of forged) {
		const p = await sc.pair(t, srv, { token: f });
		assert.strictEqual(p.cl.status.isAuthenticated, false, `authenticated with ${f}`);
		assert.ok(p.cl.status.authError, `no authError for ${f}`);
		assert.strictEqual(p.conn.socket.authToken, null);
	}
	const s1 = await srv.engine.stats();
	assert.strictEqual(s1.cache_hits, s0.cache_hits, 'a forgery was answered from the cache');
	assert.strictEqual(s1.verifies - s0.verifies, forged.length, 'each forgery was the daemon\'s to answer');
	const again = await sc.pair(t, srv, { token });
	sc.assertStatus(again.cl.status, { authenticated: true });
});
