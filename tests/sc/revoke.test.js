'use strict';
/*
 * Revocation reaches live SocketCluster sockets: the server watches the
 * daemon's revocations (AuthEngine.watch()) and deauthenticates the
 * sockets whose tokens a revocation covers; their clients see
 * 'deauthenticate' and drop the token.  The revocation itself comes from
 * elsewhere (another process's connection to the daemon), so the event
 * can only have come through the watch stream.
 */
const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const path = require('node:path');

const sc = require('./sc');

const { h } = sc;

/*
 * What a server does with a watch stream, as README.md shows: on every
 * revocation, each authenticated socket whose token it may cover is
 * verified again through the engine (which answers by the daemon's own
 * rules: subject claim, iat, jti); a refusal deauthenticates it.
 */
function dropRevoked(agServer, engine, seen) {
	const watcher = engine.watch();
	watcher.on('revoke', async (ev) => {
		seen.push(ev);
		await Promise.all(Object.values(agServer.clients).map(async (socket) => {
			if (!socket.signedAuthToken)
				return;
			try {
				await engine.verifyToken(socket.signedAuthToken, null, agServer.defaultVerificationOptions);
			} catch (e) {
				if (socket.authState === 'authenticated')
					await socket.deauthenticate();
			}
		}));
	});
	return watcher;
}

test('a revoked subject\'s live sockets are deauthenticated through the watch stream', { timeout: sc.TEST_TIMEOUT }, async (t) => {
	const { env, admin } = await sc.daemon(t);
	const srv = await sc.server(t, { socketPath: env.sock });
	const seen = [];
	dropRevoked(srv.agServer, srv.engine, seen);
	/* the daemon counts the engine's watch connection */
	await h.waitFor(async () => (await sc.stats(admin)).watchers >= 1, { timeout: sc.WAIT, what: 'the engine watching' });

	/* alice on two sockets, bob on one */
	const sign = async (payload) => h.ok(await admin.call('sign', { payload: JSON.stringify(payload), opts: '{"expiresIn":3600}' })).token;
	const tokens = {
		alice1: await sign({ sub: 'alice', tab: 1 }),
		alice2: await sign({ sub: 'alice', tab: 2 }),
		bob: await sign({ sub: 'bob' }),
	};
	const p = {};
	const pair = async (k) => {
		p[k] = await sc.pair(t, srv, { token: tokens[k] });
		sc.assertStatus(p[k].cl.status, { authenticated: true });
	};
	for (const k of Object.keys(tokens))
		await pair(k);

	/* "log out everywhere" for alice, from another connection */
	const r = h.ok(await admin.call('revoke', { sub: 'alice' }), 'revoke');
	const ev = await h.waitFor(() => seen.length && seen[0], { timeout: sc.WAIT, what: 'the revoke event' });
	assert.deepStrictEqual(Object.keys(ev).sort(), ['at', 'kind', 'value']);
	assert.strictEqual(ev.kind, 'subject');
	assert.strictEqual(ev.value, 'alice');
	assert.ok(ev.at instanceof Date && Math.abs(ev.at.getTime() - r.at * 1000) < 1,
		  `event at ${ev.at}, revoke at ${r.at}`);

	/* both of alice's clients are told, server side and client side */
	for (const k of ['alice1', 'alice2']) {
		const de = await p[k].cl.events.deauthenticate.next();
		assert.strictEqual(de.oldSignedAuthToken, tokens[k]);
		assert.strictEqual((await p[k].cl.events.removeAuthToken.next()).oldAuthToken, tokens[k]);
		assert.strictEqual(p[k].cl.socket.authState, 'unauthenticated');
		assert.strictEqual(p[k].conn.socket.authState, 'unauthenticated');
		assert.strictEqual(await p[k].cl.stored(), null);
	}
	/* bob was not */
	assert.strictEqual(p.bob.conn.socket.authState, 'authenticated', 'bob deauthenticated');
	assert.strictEqual(p.bob.cl.socket.authState, 'authenticated');
	assert.strictEqual(p.bob.cl.events.deauthenticate.count, 0, 'bob told to deauthenticate');

	/* alice logs in again at once ("log out everywhere, keep this
	 * device"): the revocation does not cover her new token, even in its
	 * own second (agauthd holds a sign that second would cover until it
	 * is over) */
	tokens.aliceLater = await sign({ sub: 'alice', tab: 3 });
	await pair('aliceLater');

	/* alice's old token no longer gets in: jwt revoked */
	const back = await sc.pair(t, srv, { token: tokens.alice1 });
	sc.assertStatus(back.cl.status, { authenticated: false, error: 'AuthTokenInvalidError' });
	assert.strictEqual(back.cl.status.authError.message, 'jwt revoked');

	/* revoke() through the engine: bob's one token, by the token */
	const rb = await srv.engine.revoke({ token: tokens.bob });
	assert.strictEqual(rb.purged, 1, 'the daemon cached the token when it signed it');
	assert.strictEqual(rb.live, true, 'a live token matched');
	assert.ok(rb.at instanceof Date, `revoke() at: ${rb.at}`);
	await p.bob.cl.events.deauthenticate.next();
	assert.strictEqual(p.bob.conn.socket.authState, 'unauthenticated');
	await h.waitFor(() => seen.length === 2, { timeout: sc.WAIT, what: 'the second event' });
	assert.deepStrictEqual({ kind: seen[1].kind, value: seen[1].value }, { kind: 'token', value: tokens.bob });
	assert.strictEqual(p.aliceLater.conn.socket.authState, 'authenticated');
	assert.strictEqual(p.aliceLater.cl.events.deauthenticate.count, 0);
});

/* README.md's watch snippet, run as it is written there: { watcher,
 * recheck } for agServer. */
function readmeWatch(agServer) {
	const readme = fs.readFileSync(path.join(h.ROOT, 'README.md'), 'utf8');
	const m = /```js\n(const authEngine = agServer\.auth;\n[^]*?)```/.exec(readme);
	assert.ok(m, 'README.md has the watch snippet');
	/* eslint-disable-next-line no-new-func */
	return new Function('agServer', `${m[1]}\nreturn { watcher, recheck };`)(agServer);
}

test('README\'s watch snippet: a revoke made while the watch was down logs out on rewatch; agauthd away logs out nobody', { timeout: sc.TEST_TIMEOUT }, async (t) => {
	const { d, env, admin } = await sc.daemon(t);
	const srv = await sc.server(t, { socketPath: env.sock });
	const { watcher, recheck } = readmeWatch(srv.agServer);
	const rewatch = new Promise((resolve) => watcher.on('rewatch', resolve));
	await h.waitFor(async () => (await sc.stats(admin)).watchers >= 1, { timeout: sc.WAIT, what: 'the snippet watching' });

	const sign = async (payload) => h.ok(await admin.call('sign', { payload: JSON.stringify(payload), opts: '{"expiresIn":3600}' })).token;
	const alice = await sc.pair(t, srv, { token: await sign({ username: 'alice' }) });
	const bob = await sc.pair(t, srv, { token: await sign({ username: 'bob' }) });
	sc.assertStatus(alice.cl.status, { authenticated: true });
	await d.stop();

	/* agauthd away: a check answers AgauthError for every socket, and
	 * logs none of them out */
	await recheck();
	assert.strictEqual(alice.conn.socket.authState, 'authenticated', 'deauthenticated because agauthd was away');
	assert.strictEqual(bob.conn.socket.authState, 'authenticated');

	/* the next daemon starts on a path of its own, so that the watch
	 * cannot come back before alice is revoked there; then its socket is
	 * renamed into place */
	const next = `${env.sock}.next`;
	const conf = `${env.conf}.next`;
	fs.writeFileSync(conf, fs.readFileSync(env.conf, 'utf8').replace(`path = ${env.sock}\n`, `path = ${next}\n`));
	const d2 = await h.Daemon.start({ ...env, conf, sock: next });
	sc.defer(t, () => d2.stop());
	const admin2 = await d2.client();
	h.ok(await admin2.call('revoke', { sub: 'alice' }), 'revoke while the watch is down');
	fs.renameSync(next, env.sock);

	await h.within(rewatch, sc.WAIT * 2, 'the rewatch');
	await alice.cl.events.deauthenticate.next();
	assert.strictEqual(alice.conn.socket.authState, 'unauthenticated');
	assert.strictEqual(bob.conn.socket.authState, 'authenticated', 'bob deauthenticated');
	assert.strictEqual(bob.cl.events.deauthenticate.count, 0);
});

test('a fleet: a user logged out through host A is deauthenticated on a server attached to host B', { timeout: sc.TEST_TIMEOUT }, async (t) => {
	const { Redis } = require('../integration/redis');
	const redis = await Redis.start();
	sc.defer(t, () => redis.stop());
	const key = path.join(h.tmpdir('fleet'), 'cluster.key');
	h.keygen('cluster', key);
	const envA = h.setup({ conf: { keys: { default_expiry: 86400 }, cluster: { redis: redis.sock, key, name: 'host-a' } } });
	const material = fs.readFileSync(envA.keys.hs1.file);
	const envB = h.setup({ keys: [{ name: 'hs1', type: 'hs256', state: 'primary', material }],
			       conf: { keys: { default_expiry: 86400 }, cluster: { redis: redis.sock, key, name: 'host-b' } } });
	const ds = [];
	for (const env of [envA, envB]) {
		const d = await h.Daemon.start(env);
		sc.defer(t, () => d.stop());
		ds.push(d);
	}
	const [adminA, adminB] = await Promise.all(ds.map((d) => d.client()));
	for (const c of [adminA, adminB])
		await h.waitFor(async () => (await sc.stats(c)).cluster_connected === true, { timeout: sc.WAIT, what: 'in the fleet' });

	/* the server on B checks its sockets as README.md says */
	const srv = await sc.server(t, { socketPath: envB.sock });
	const { watcher } = readmeWatch(srv.agServer);
	const seen = [];
	watcher.on('revoke', (ev) => seen.push(ev));
	await h.waitFor(async () => (await sc.stats(adminB)).watchers >= 1, { timeout: sc.WAIT, what: 'the snippet watching B' });
	const sign = async (c, payload) => h.ok(await c.call('sign', { payload: JSON.stringify(payload), opts: '{"expiresIn":3600}' })).token;
	const alice = await sc.pair(t, srv, { token: await sign(adminB, { username: 'alice' }) });
	const bob = await sc.pair(t, srv, { token: await sign(adminA, { username: 'bob' }) });
	sc.assertStatus(alice.cl.status, { authenticated: true });
	sc.assertStatus(bob.cl.status, { authenticated: true });

	/* log out everywhere, on A */
	h.ok(await adminA.call('revoke', { sub: 'alice' }), 'revoke on A');
	await alice.cl.events.deauthenticate.next();
	assert.strictEqual(alice.conn.socket.authState, 'unauthenticated');
	assert.strictEqual(bob.conn.socket.authState, 'authenticated');
	assert.deepStrictEqual(seen.map((e) => [e.kind, e.value, e.origin]), [['subject', 'alice', 'host-a']]);
	/* and alice logs back in at once, through B */
	const again = await sc.pair(t, srv, { token: await sign(adminB, { username: 'alice' }) });
	sc.assertStatus(again.cl.status, { authenticated: true });
});
