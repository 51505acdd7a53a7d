'use strict';
/*
 * 11. Moving a SocketCluster app: its authKey string imported as a raw
 * HS256 key without kid keeps the tokens already issued valid, alone and
 * next to a newer primary that has a kid (by reload and by rotate).
 */
const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const path = require('node:path');

const jwt = require('jsonwebtoken');
const AuthEngine = require('ag-auth');

const h = require('./harness');

const AUTH_KEY = 'c0ffee-socketcluster-authKey-ünïcode-1234567890';

test('a SocketCluster authKey imported as a kid-less raw HS256 key', { timeout: h.TEST_TIMEOUT }, async (t) => {
	const env = h.setup({ keys: [
		{ name: 'socketcluster', material: AUTH_KEY, encoding: 'raw', algorithm: 'HS256', kid: '', state: 'primary' },
	], conf: { keys: { default_expiry: 86400 } } });
	const d = await h.Daemon.start(env);
	t.after(() => d.cleanup());
	const c = await d.client();

	/* tokens as SocketCluster issues them: ag-auth, and plain jsonwebtoken
	 * with the string (its UTF-8 bytes) */
	const engine = new AuthEngine();
	const scToken = await engine.signToken({ username: 'alice', channels: ['a'] }, AUTH_KEY, { expiresIn: 86400 });
	const jwToken = jwt.sign({ username: 'bob' }, AUTH_KEY, { expiresIn: '1d' });
	for (const tok of [scToken, jwToken])
		assert.strictEqual(h.decodeToken(tok).header.kid, undefined);

	const verifies = async (tok, who) => {
		const r = h.ok(await c.call('verify', { token: tok }), `verify ${who}`);
		assert.strictEqual(h.payloadOf(r).username, who);
		return r;
	};
	for (const [tok, who] of [[scToken, 'alice'], [jwToken, 'bob']]) {
		const r = await verifies(tok, who);
		assert.strictEqual(r.kid, undefined, 'a kid-less key reported a kid');
	}
	/* the daemon signs as SocketCluster did: no kid, and ag-auth accepts it */
	const s = h.ok(await c.call('sign', { payload: '{"username":"carol"}', opts: '{"expiresIn":86400}' }));
	assert.strictEqual(s.kid, undefined);
	assert.deepStrictEqual(h.decodeToken(s.token).header, { alg: 'HS256', typ: 'JWT' });
	assert.strictEqual((await engine.verifyToken(s.token, AUTH_KEY)).username, 'carol');

	/* a newer primary with a kid next to it, by editing the manifest and
	 * reloading, as docs/operations.md describes */
	h.keygen('hs256', path.join(env.dir, 'keys', 'hs2.key'));
	fs.writeFileSync(env.keyring, h.keyringText([
		{ name: 'socketcluster', file: 'keys/socketcluster.key', encoding: 'raw', algorithm: 'HS256', kid: '', state: 'verify' },
		{ name: 'hs2', file: 'keys/hs2.key', encoding: 'base64', algorithm: 'HS256', state: 'primary' },
	]));
	h.ok(await c.call('reload'));
	const s2 = h.ok(await c.call('sign', { payload: '{"username":"dave"}', opts: '{"expiresIn":86400}' }));
	assert.strictEqual(s2.kid, 'hs2');
	assert.strictEqual(h.decodeToken(s2.token).header.kid, 'hs2');
	for (const [tok, who] of [[scToken, 'alice'], [jwToken, 'bob'], [s.token, 'carol'], [s2.token, 'dave']])
		await verifies(tok, who);
	assert.strictEqual((await verifies(s2.token, 'dave')).kid, 'hs2');
	/* a token signed with the authKey but claiming the new kid is refused */
	const liar = jwt.sign({ username: 'mallory' }, AUTH_KEY, { keyid: 'hs2' });
	h.fails(await c.call('verify', { token: liar }), 'AG_E_BAD_SIGNATURE');

	/* rotate: the manifest is rewritten; the kid-less key must stay
	 * kid-less through the rewrite and the SIGHUP that reads it */
	const rot = h.ok(await c.call('rotate'));
	d.signal('SIGHUP');
	await h.waitFor(async () => h.ok(await c.call('stats')).generation === rot.generation + 1,
			{ timeout: 10000, what: 'SIGHUP reload after rotate' });
	const ks = h.ok(await c.call('keys')).keys;
	assert.deepStrictEqual(ks.find((k) => k.name === 'socketcluster'),
			       { ...ks.find((k) => k.name === 'socketcluster'), kid: '', state: 'verify' });
	for (const [tok, who] of [[scToken, 'alice'], [jwToken, 'bob'], [s.token, 'carol'], [s2.token, 'dave']])
		await verifies(tok, who);
	const s3 = h.ok(await c.call('sign', { payload: '{"username":"erin"}' }));
	assert.strictEqual(h.decodeToken(s3.token).header.kid, rot.kid);
	await verifies(s3.token, 'erin');
	await d.stop();
});

test('an HMAC secret shorter than its hash output loads with a warning naming the key and RFC 7518 §3.2', { timeout: h.TEST_TIMEOUT }, async (t) => {
	/* an authKey as short as a careless app had it: it must keep
	 * working, and the operator must be told, every time it loads */
	const tiny = 'Q';
	const short = 'shortsecret-ZZ9-plural-z-alpha';  /* 30 bytes */
	const env = h.setup({ keys: [
		{ name: 'socketcluster', material: tiny, encoding: 'raw', algorithm: 'HS256', kid: '', state: 'primary' },
		{ name: 'old384', material: short + 'x'.repeat(17), encoding: 'raw', algorithm: 'HS384', state: 'verify' },
		{ name: 'mid', material: short, encoding: 'raw', algorithm: 'HS256', kid: 'm1', state: 'verify' },
		{ name: 'fine', material: 'f'.repeat(32), encoding: 'raw', algorithm: 'HS256', state: 'verify' },
		{ name: 'fine512', material: 'g'.repeat(64), encoding: 'raw', algorithm: 'HS512', state: 'retired' },
	] });
	const warnings = (text) => text.split('\n').filter((l) => /RFC 7518/.test(l));
	const expected = (text, what) => {
		const w = warnings(text);
		assert.strictEqual(w.length, 3, `${what}: ${w.join('\n')}`);
		const want = [
			['socketcluster', '(no kid)', '1 byte,', 32, 'HS256', 'hs256'],
			['old384', '(kid old384)', '47 bytes,', 48, 'HS384', 'hs384'],
			['mid', '(kid m1)', '30 bytes,', 32, 'HS256', 'hs256'],
		];
		for (const [name, kid, has, out, alg, type] of want) {
			const l = w.find((x) => x.includes(`[key ${name}]`));
			assert.ok(l, `${what}: no warning for ${name}`);
			assert.match(l, / warning: /, l);
			assert.ok(l.includes(`${env.keys[name].file}: [key ${name}] ${kid}: the HMAC secret has ${has} fewer than ` +
					     `the ${out} of ${alg}'s hash output that RFC 7518 §3.2 requires`), l);
			assert.ok(l.includes(`agauthctl keygen --type ${type}`), l);
		}
		/* never the secret, in any spelling */
		for (const s of [short, Buffer.from(short).toString('base64'), Buffer.from(short).toString('hex')])
			assert.ok(!text.includes(s), `${what}: the secret is in the log`);
	};

	const r = h.run(['-t', '-c', env.conf]);
	assert.strictEqual(r.status, 0, r.stderr);
	expected(r.stderr, 'agauthd -t');

	const d = await h.Daemon.start(env);
	t.after(() => d.cleanup());
	await h.waitFor(() => warnings(d.stderr).length >= 3, { what: 'the warnings at start' });
	expected(d.stderr, 'start');
	const c = await d.client();
	/* not refused: the tokens signed with them keep verifying */
	const old = jwt.sign({ username: 'alice' }, tiny, { expiresIn: '1h' });
	assert.strictEqual(h.payloadOf(h.ok(await c.call('verify', { token: old }))).username, 'alice');
	const mid = jwt.sign({ username: 'bob' }, short, { keyid: 'm1' });
	assert.strictEqual(h.payloadOf(h.ok(await c.call('verify', { token: mid }))).username, 'bob');
	const s = h.ok(await c.call('sign', { payload: '{"u":1}' }));
	jwt.verify(s.token, tiny);

	/* and again at a reload */
	const before = d.stderr.length;
	h.ok(await c.call('reload'));
	await h.waitFor(() => warnings(d.stderr.slice(before)).length === 3, { what: 'the warnings of the reload' });
	expected(d.stderr.slice(before), 'reload');
	await d.stop();
});
