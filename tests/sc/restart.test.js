'use strict';
/*
 * The daemon restarts under a running SocketCluster server: the engine
 * finds the new daemon (and its new cache) by itself, later handshakes
 * succeed, and no token is wrongly accepted on either side of the
 * restart, from the old cache or the new one.
 */
const test = require('node:test');
const assert = require('node:assert');

const sc = require('./sc');

const { h } = sc;

async function signed(admin, payload, opts = { expiresIn: 3600 }) {
	return h.ok(await admin.call('sign', { payload: JSON.stringify(payload), opts: JSON.stringify(opts) }), 'sign').token;
}

test('daemon restart: later handshakes succeed, bad tokens stay refused, the old cache answers nothing', { timeout: sc.TEST_TIMEOUT }, async (t) => {
	const { d, env, admin } = await sc.daemon(t);
	const srv = await sc.server(t, { socketPath: env.sock });

	const valid = await signed(admin, { sub: 'alice' });
	const other = await signed(admin, { sub: 'bob' });
	const gone = await signed(admin, { sub: 'carol' });
	const expired = await signed(admin, { sub: 'dave', exp: Math.floor(Date.now() / 1000) - 10 }, {});
	const forged = sc.tamper(valid);
	h.ok(await admin.call('revoke', { token: gone }), 'revoke');

	/* before: every token through a handshake (the good ones are now
	 * cache entries the engine has seen) */
	const expect = async (token, authenticated, error, what) => {
		const p = await sc.pair(t, srv, { token });
		try {
			sc.assertStatus(p.cl.status, { authenticated, error });
		} catch (e) {
			e.message = `${what}: ${e.message}`;
			throw e;
		}
		return p;
	};
	const live = await expect(valid, true, undefined, 'valid, before');
	await expect(other, true, undefined, 'other, before');
	await expect(gone, false, 'AuthTokenInvalidError', 'revoked, before');
	await expect(expired, false, 'AuthTokenExpiredError', 'expired, before');
	await expect(forged, false, 'AuthTokenInvalidError', 'tampered, before');

	/* stop: agauthd exits 0 (no sanitizer report).  A tampered token
	 * presented while it is gone is not accepted: the handshake starts
	 * now and settles whenever the engine answers (at once with an
	 * error, or once the daemon is back) */
	await d.stop();
	const downForged = sc.pair(t, srv, { token: forged }).then((v) => ({ v }), (e) => ({ e }));

	/* restart in the same directory: same keys, same revocation file */
	const d2 = await h.Daemon.start(env);
	sc.defer(t, () => d2.cleanup());
	const admin2 = await d2.client();
	const { v: df, e: dfErr } = await downForged;
	if (dfErr)
		throw dfErr;
	assert.strictEqual(df.cl.status.isAuthenticated, false, 'a tampered token authenticated while agauthd restarted');
	assert.strictEqual(df.conn.socket.authState, 'unauthenticated');
	assert.ok(df.cl.status.authError, 'no authError for a tampered token');
	t.diagnostic(`tampered token during the restart: ${df.cl.status.authError.name}: ${df.cl.status.authError.message}`);

	/* the first handshake after the restart succeeds */
	const after = await expect(valid, true, undefined, 'valid, after restart');
	assert.strictEqual(after.conn.socket.authToken.sub, 'alice');
	await expect(forged, false, 'AuthTokenInvalidError', 'tampered, after restart');
	await expect(expired, false, 'AuthTokenExpiredError', 'expired, after restart');
	const r = await expect(gone, false, 'AuthTokenInvalidError', 'revoked before the restart, after it');
	assert.strictEqual(r.cl.status.authError.message, 'jwt revoked');

	/* a token the old cache held, revoked by the new daemon: refused (the
	 * engine must not answer from the old daemon's cache) */
	h.ok(await admin2.call('revoke', { token: other }), 'revoke after restart');
	const o = await expect(other, false, 'AuthTokenInvalidError', 'cached before, revoked after the restart');
	assert.strictEqual(o.cl.status.authError.message, 'jwt revoked');

	/* the socket authenticated before the restart stays so; it can sign
	 * again (setAuthToken) and the new token verifies */
	assert.strictEqual(live.conn.socket.authState, 'authenticated');
	const ev = live.cl.events.authenticate;
	ev.clear();
	const next = ev.next();
	await live.conn.socket.setAuthToken({ sub: 'alice', n: 2 });
	const fresh = (await next).signedAuthToken;
	const f = await expect(fresh, true, undefined, 'signed after the restart');
	assert.strictEqual(f.conn.socket.authToken.n, 2);
	const st = h.ok(await admin2.call('stats'));
	assert.ok(st.signs >= 1, `stats after restart: ${JSON.stringify(st)}`);
});
