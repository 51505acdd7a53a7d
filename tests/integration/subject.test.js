'use strict';
/*
 * Revocation as SocketCluster apps use it (docs/operations.md,
 * "Revocation"):
 *
 * - A token's subject is the first of `[revocation] subject_claims`
 *   (default `sub username`) its payload has as a string or a number:
 *   `revoke --sub alice` withdraws the tokens of
 *   `socket.setAuthToken({username: 'alice'})` with no configuration, from
 *   the daemon and from the cache; a `sub` that is an object does not
 *   hide the username behind it; a `sub` that is there wins.
 * - "Log out everywhere, keep this device": a token signed right after a
 *   subject revocation, in its very second, verifies (HMAC inline and
 *   ECDSA on the pool), and still does after a restart; the tokens issued
 *   before it stay refused.
 * - `revoke` says what it matched: a revocation that matched no live
 *   token is answered `live: false`, and agauthctl warns about it.
 */
const test = require('node:test');
const assert = require('node:assert');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const h = require('./harness');

const AGAUTHCTL = path.resolve(h.ROOT, process.env.AGAUTHCTL || 'build/agauthctl');

function ctl(env, args) {
	const r = spawnSync(AGAUTHCTL, ['--socket', env.sock, ...args],
			    { encoding: 'utf8', timeout: 20000 });
	if (r.error)
		throw r.error;
	return r;
}

async function sign(c, payload) {
	return h.ok(await c.call('sign', { payload: JSON.stringify(payload), opts: '{"expiresIn":3600}' }), 'sign').token;
}

/* A verify through agauthctl's cache lookup: 'hit', 'miss' or the error's
 * message. */
function cached(env, tok) {
	const r = ctl(env, ['--json', 'verify', '--cache', tok]);
	const j = JSON.parse(r.stdout);
	return j.ok ? j.cache : j.message;
}

/* The start of the next second, so that a revocation and what follows it
 * share their second: 50 ms into it. */
async function secondStart() {
	const ms = Date.now() % 1000;
	await h.sleep(ms < 50 ? 50 - ms : 1050 - ms);
}

test('revoke --sub covers the username of SocketCluster tokens by default; a sub wins, an object sub hides nothing', { timeout: h.TEST_TIMEOUT }, async (t) => {
	const env = h.setup();
	const d = await h.Daemon.start(env);
	t.after(() => d.cleanup());
	const c = await d.client();

	const tok = {
		username: await sign(c, { username: 'alice', tab: 1 }),
		objSub: await sign(c, { sub: { id: 7 }, username: 'alice' }),
		nullSub: await sign(c, { sub: null, username: 'alice' }),
		subWins: await sign(c, { sub: 'carol', username: 'alice' }),
		other: await sign(c, { username: 'bob' }),
	};
	for (const k of Object.keys(tok))
		assert.strictEqual(cached(env, tok[k]), 'hit', k);

	const r = ctl(env, ['--json', 'revoke', '--sub', 'alice']);
	assert.strictEqual(r.status, 0, r.stderr);
	const j = JSON.parse(r.stdout);
	assert.strictEqual(j.purged, 3, 'the username, object-sub and null-sub tokens were cached');
	assert.strictEqual(j.live, true);
	assert.strictEqual(r.stderr, '', 'no warning when something live matched');

	for (const k of ['username', 'objSub', 'nullSub']) {
		assert.strictEqual(cached(env, tok[k]), 'jwt revoked', `${k} from the cache`);
		h.fails(await c.call('verify', { token: tok[k] }), 'AG_E_REVOKED', { message: 'jwt revoked', what: k });
	}
	/* sub names carol: the username is not her subject */
	assert.strictEqual(cached(env, tok.subWins), 'hit');
	h.ok(await c.call('verify', { token: tok.subWins }), 'sub wins');
	assert.strictEqual(cached(env, tok.other), 'hit');

	/* and after a restart, from the log */
	await d.stop();
	const d2 = await h.Daemon.start(env);
	t.after(() => d2.cleanup());
	const c2 = await d2.client();
	h.fails(await c2.call('verify', { token: tok.username }), 'AG_E_REVOKED');
	h.ok(await c2.call('verify', { token: tok.subWins }));
	await d2.stop();
});

test('[revocation] subject_claims names the claims, in order; claim = X is the one-claim spelling', { timeout: h.TEST_TIMEOUT }, async (t) => {
	for (const [conf, covered, spared] of [
		[{ subject_claims: 'uid  email' }, { uid: 'x', email: 'e@x' }, { sub: 'x', username: 'x' }],
		[{ claim: 'email' }, { uid: 'y', email: 'x' }, { uid: 'x', sub: 'x' }],
	]) {
		const env = h.setup({ conf: { revocation: conf } });
		const d = await h.Daemon.start(env);
		t.after(() => d.cleanup());
		const c = await d.client();
		const a = await sign(c, covered);
		const b = await sign(c, spared);
		h.ok(await c.call('revoke', { sub: 'x' }));
		h.fails(await c.call('verify', { token: a }), 'AG_E_REVOKED', { what: JSON.stringify(conf) });
		h.ok(await c.call('verify', { token: b }), JSON.stringify(conf));
		await d.stop();
	}
	const bad = h.setup({ conf: { revocation: { subject_claims: 'sub a/b' } } });
	const d = new h.Daemon(bad);
	await d.spawn({ wait: false });
	const exit = await d.waitExit();
	assert.notStrictEqual(exit.code, 0);
	assert.match(d.stderr, /subject_claims must be 1 to 8 claim names/);
});

for (const [alg, keys] of [
	['HS256 on the loop', undefined],
	['ES256 on the pool', [{ name: 'ec1', type: 'p256', state: 'primary' }]],
]) {
	test(`log out everywhere, keep this device (${alg}): a token signed in the revocation's second verifies; the ones before it do not`, { timeout: h.TEST_TIMEOUT }, async (t) => {
		const env = h.setup(keys ? { keys } : {});
		const d = await h.Daemon.start(env);
		t.after(() => d.cleanup());
		const c = await d.client();

		await secondStart();
		const before = await sign(c, { username: 'lee', device: 'old' });
		const r = h.ok(await c.call('revoke', { sub: 'lee' }), 'revoke');
		const after = await sign(c, { username: 'lee', device: 'this' });
		const issuedAfter = h.decodeToken(after).payload.iat;
		assert.ok(issuedAfter > Math.floor(r.at), `iat ${issuedAfter} after the revocation's second ${Math.floor(r.at)}`);
		assert.ok(Date.now() / 1000 - r.at < 1.6, 'the sign waited the second out, no more');

		h.fails(await c.call('verify', { token: before }), 'AG_E_REVOKED', { what: 'the token from before' });
		h.ok(await c.call('verify', { token: after }), 'the token from after');
		assert.strictEqual(cached(env, after), 'hit');

		/* a payload that dates itself in the past stays covered: the
		 * wait is only for what the sign dates itself */
		const old = h.ok(await c.call('sign', { payload: JSON.stringify({ username: 'lee', iat: Math.floor(r.at) - 5 }) }));
		h.fails(await c.call('verify', { token: old.token }), 'AG_E_REVOKED', { what: 'a payload iat before' });

		await d.stop();
		const d2 = await h.Daemon.start(env);
		t.after(() => d2.cleanup());
		const c2 = await d2.client();
		h.fails(await c2.call('verify', { token: before }), 'AG_E_REVOKED', { what: 'before, after the restart' });
		h.ok(await c2.call('verify', { token: after }), 'after, after the restart');
		await d2.stop();
	});
}

test('revoke says what it matched, and agauthctl warns when it matched nothing live', { timeout: h.TEST_TIMEOUT }, async (t) => {
	const env = h.setup();
	const d = await h.Daemon.start(env);
	t.after(() => d.cleanup());
	const c = await d.client();
	const tok = await sign(c, { sub: 'dana', jti: 'j1' });

	let r = ctl(env, ['revoke', '--sub', 'Dana']);
	assert.strictEqual(r.status, 0);
	assert.strictEqual(r.stdout, 'revoked: 0 cache entries purged\n');
	assert.match(r.stderr, /warning: no live token agauthd knows of matched \(its cache held none\).*subject_claims lists \(default: sub username\)/);
	r = ctl(env, ['--json', 'revoke', '--jti', 'nope']);
	const j = JSON.parse(r.stdout);
	assert.deepStrictEqual([j.ok, j.purged, j.live, typeof j.at], [true, 0, false, 'number']);
	assert.match(r.stderr, /warning: no live token/);
	/* a token revoked is live if it has not expired (this one was
	 * never signed, so no cache entry of it counts either) */
	const b64 = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
	const expired = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ sub: 'x', exp: 1000 })}.c2ln`;
	assert.strictEqual(h.ok(await c.call('revoke', { token: expired })).live, false);
	assert.strictEqual(h.ok(await c.call('revoke', { token: tok })).live, true);
	r = h.ok(await c.call('revoke', { jti: 'j1' }));
	assert.strictEqual(r.live, false, 'the token went from the cache with its own revocation');
	await d.stop();
});
