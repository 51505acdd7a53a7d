'use strict';
/*
 * The daemon restarts under a running SocketCluster server: the engine
 * finds the new daemon (and its new cache) by itself, later handshakes
 * succeed, and no token is wrongly accepted on either side of the
 * restart, from the old cache or the new one.
 */
const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');

const sc = require('./sc');

const { h } = sc;

async function signed(admin, payload, opts = { expiresIn: 3600 }) {
	return h.ok(await admin.call('sign', { payload: JSON.stringify(payload), opts: JSON.stringify(opts) }), 'sign').token;
}

/* expect(t, srv, token, authenticated, errorName, what): a client's
 * handshake with this token, and the result it must have. */
async function expect(t, srv, token, authenticated, error, what) {
	const p = await sc.pair(t, srv, { token });
	try {
		sc.assertStatus(p.cl.status, { authenticated, error });
	} catch (e) {
		e.message = `${what}: ${e.message}`;
		throw e;
	}
	return p;
}

test('daemon restart: handshakes succeed again, bad tokens stay refused, the old cache answers nothing', { timeout: sc.TEST_TIMEOUT }, async (t) => {
	const { d, env, admin } = await sc.daemon(t);
	const srv = await sc.server(t, { socketPath: env.sock });
	const x = (token, ok, error, what) => expect(t, srv, token, ok, error, what);

	const valid = await signed(admin, { sub: 'alice' });
	const other = await signed(admin, { sub: 'bob' });
	const gone = await signed(admin, { sub: 'carol' });
	const expired = await signed(admin, { sub: 'dave', exp: Math.floor(Date.now() / 1000) - 10 }, {});
	const forged = sc.tamper(valid);
	h.ok(await admin.call('revoke', { token: gone }), 'revoke');

	/* before: every token through a handshake; the engine has the cache
	 * attached, so the good ones are hits */
	const live = await x(valid, true, undefined, 'valid, before');
	await x(other, true, undefined, 'other, before');
	await x(gone, false, 'AuthTokenInvalidError', 'revoked, before');
	await x(expired, false, 'AuthTokenExpiredError', 'expired, before');
	await x(forged, false, 'AuthTokenInvalidError', 'tampered, before');

	/* stop: agauthd exits 0 (no sanitizer report).  A tampered token
	 * presented while it is gone is not accepted: the handshake starts
	 * now and settles whenever the engine answers (at once with an
	 * error, or once the daemon is back) */
	await d.stop();
	const downForged = sc.pair(t, srv, { token: forged }).then((v) => ({ v }), (e) => ({ e }));

	/* restart in the same directory: same keys, same revocation file */
	const d2 = await h.Daemon.start(env);
	sc.defer(t, () => d2.stop());
	const admin2 = await d2.client();
	const { v: df, e: dfErr } = await downForged;
	if (dfErr)
		throw dfErr;
	assert.strictEqual(df.cl.status.isAuthenticated, false, 'a tampered token authenticated while agauthd restarted');
	assert.strictEqual(df.conn.socket.authState, 'unauthenticated');
	assert.ok(df.cl.status.authError, 'no authError for a tampered token');
	t.diagnostic(`tampered token during the restart: ${df.conn.authError.name}: ${df.conn.authError.message}`);

	/* the engine reconnects by itself (how soon is the next test's) */
	const t0 = Date.now();
	await h.waitFor(() => srv.engine.verifyToken(valid, null, {}).then(() => true, () => false),
			{ timeout: sc.WAIT, interval: 10, what: 'the engine verifying through the new daemon' });
	t.diagnostic(`engine verifying again ${Date.now() - t0} ms after the new daemon listened`);

	const after = await x(valid, true, undefined, 'valid, after restart');
	assert.strictEqual(after.conn.socket.authToken.sub, 'alice');
	await x(forged, false, 'AuthTokenInvalidError', 'tampered, after restart');
	await x(expired, false, 'AuthTokenExpiredError', 'expired, after restart');
	const r = await x(gone, false, 'AuthTokenInvalidError', 'revoked before the restart, after it');
	assert.strictEqual(r.cl.status.authError.message, 'jwt revoked');

	/* a token the old cache held, revoked by the new daemon: refused (the
	 * engine must not answer from the old daemon's cache) */
	h.ok(await admin2.call('revoke', { token: other }), 'revoke after restart');
	const o = await x(other, false, 'AuthTokenInvalidError', 'cached before, revoked after the restart');
	assert.strictEqual(o.cl.status.authError.message, 'jwt revoked');

	/* the socket authenticated before the restart stays so; it can sign
	 * again (setAuthToken) and the new token verifies, from the new cache */
	assert.strictEqual(live.conn.socket.authState, 'authenticated');
	const ev = live.cl.events.authenticate;
	ev.clear();
	const next = ev.next();
	await live.conn.socket.setAuthToken({ sub: 'alice', n: 2 });
	const fresh = (await next).signedAuthToken;
	const f = await x(fresh, true, undefined, 'signed after the restart');
	assert.strictEqual(f.conn.socket.authToken.n, 2);
	await h.waitFor(() => srv.engine.cacheAttached, { timeout: sc.WAIT, what: 'the engine attaching the new cache' });
	const before = h.ok(await admin2.call('stats'));
	await x(fresh, true, undefined, 'signed after the restart, again');
	await srv.engine.stats();               /* carries the hit report */
	const st = h.ok(await admin2.call('stats'));
	assert.ok(st.cache_hits > before.cache_hits, `no cache hit from the new cache: ${before.cache_hits} -> ${st.cache_hits}`);
});

test('the first handshake after agauthd is back authenticates (a refusal makes SocketCluster delete the client\'s token)', { timeout: sc.TEST_TIMEOUT }, async (t) => {
	const { d, env, admin } = await sc.daemon(t);
	const srv = await sc.server(t, { socketPath: env.sock });
	const valid = await signed(admin, { sub: 'alice' });
	await expect(t, srv, valid, true, undefined, 'before');
	await d.stop();

	/* the new daemon starts on a path of its own, then its socket is
	 * renamed into place: agauthd becomes reachable at the engine's path
	 * at one known instant, as a restarting daemon does when it binds,
	 * with no startup time in between to hide behind */
	const next = `${env.sock}.next`;
	const conf = `${env.conf}.next`;
	fs.writeFileSync(conf, fs.readFileSync(env.conf, 'utf8').replace(`path = ${env.sock}\n`, `path = ${next}\n`));
	const d2 = await h.Daemon.start({ ...env, conf, sock: next });
	sc.defer(t, () => d2.stop());

	/* traffic goes on while agauthd is away: a handshake in the gap (its
	 * outcome is recorded, not judged here) */
	const why = (conn) => (conn.authError ? `${conn.authError.name}: ${conn.authError.message}` : 'none');
	const gap = await sc.pair(t, srv, { token: valid });
	t.diagnostic(`valid token while agauthd is away: isAuthenticated ${gap.cl.status.isAuthenticated}, ` +
		     `authError ${why(gap.conn)}, ` +
		     `client's token ${(await gap.cl.stored()) === valid ? 'kept' : 'deleted'}`);

	/* agauthd is reachable again: the next handshake must authenticate */
	fs.renameSync(next, env.sock);
	const p = await sc.pair(t, srv, { token: valid });
	const kept = (await p.cl.stored()) === valid ? 'kept' : 'deleted';
	if (!p.cl.status.isAuthenticated) {
		/* what a little later brings, for the report */
		await h.sleep(60);
		const q = await sc.pair(t, srv, { token: valid });
		t.diagnostic(`60 ms later: isAuthenticated ${q.cl.status.isAuthenticated}, authError ${why(q.conn)}`);
	}
	assert.strictEqual(p.cl.status.isAuthenticated, true,
			   `handshake right after agauthd became reachable: ${why(p.conn)}; ` +
			   `the client's token was ${kept}`);
	assert.strictEqual(p.conn.socket.authToken.sub, 'alice');
});
