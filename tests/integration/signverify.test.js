'use strict';
/*
 * 2. sign and verify with HS256, RS256 and ES256 keyrings, checked against
 * jsonwebtoken in both directions, and the typed errors.
 */
const test = require('node:test');
const assert = require('node:assert');

const jwt = require('jsonwebtoken');

const h = require('./harness');

const KINDS = [
	{ type: 'hs256', alg: 'HS256' },
	{ type: 'rsa2048', alg: 'RS256' },
	{ type: 'p256', alg: 'ES256' },
];

for (const kind of KINDS) {
	test(`sign and verify with an ${kind.alg} keyring`, { timeout: h.TEST_TIMEOUT }, async (t) => {
		const env = h.setup({ keys: [{ name: `k-${kind.type}`, type: kind.type, state: 'primary' }] });
		const key = env.keys[`k-${kind.type}`];
		const d = await h.Daemon.start(env);
		t.after(() => d.cleanup());
		const c = await d.client();
		const now = () => Math.floor(Date.now() / 1000);

		await t.test('daemon tokens verify with jsonwebtoken; header, kid and added are right', async () => {
			const payload = { username: 'alice', n: 1.5, tags: ['a', 'b'] };
			const opts = { expiresIn: 3600, audience: 'aud1', issuer: 'iss1', subject: 'sub1', jwtid: 'j1' };
			const r = h.ok(await c.call('sign', { payload: JSON.stringify(payload), opts: JSON.stringify(opts) }));
			assert.strictEqual(r.kid, key.kid);
			const { header, payload: claims } = h.decodeToken(r.token);
			assert.deepStrictEqual(header, { alg: kind.alg, typ: 'JWT', kid: key.kid });
			const added = JSON.parse(r.added);
			assert.deepStrictEqual(Object.keys(added).sort(), ['aud', 'exp', 'iat', 'iss', 'jti', 'sub']);
			/* added holds exactly what sign put into the payload */
			assert.deepStrictEqual(claims, { ...payload, ...added });
			assert.ok(Math.abs(added.iat - now()) <= 5, `iat ${added.iat} is not now`);
			assert.strictEqual(added.exp, added.iat + 3600);
			assert.deepStrictEqual([added.aud, added.iss, added.sub, added.jti], ['aud1', 'iss1', 'sub1', 'j1']);
			/* jsonwebtoken accepts it, with the public key / the secret */
			const v = jwt.verify(r.token, key.verifyKey, { algorithms: [kind.alg], audience: 'aud1', issuer: 'iss1' });
			assert.deepStrictEqual(v, claims);
			/* and the daemon verifies its own token */
			const dv = h.ok(await c.call('verify', { token: r.token, opts: '{"complete":true}' }));
			assert.strictEqual(dv.kind, 'json');
			assert.deepStrictEqual(h.payloadOf(dv), claims);
			assert.strictEqual(dv.kid, key.kid);
			assert.strictEqual(Buffer.from(dv.header).toString('utf8'),
					   Buffer.from(r.token.split('.')[0], 'base64url').toString('utf8'));
		});

		await t.test('jsonwebtoken tokens, with and without kid, verify through the daemon', async () => {
			for (const keyid of [key.kid, undefined]) {
				const p = { user: 'bob', keyid: keyid || null };
				const tok = jwt.sign(p, key.signKey, { algorithm: kind.alg, expiresIn: '1h', ...(keyid ? { keyid } : {}) });
				const r = h.ok(await c.call('verify', { token: tok }), `verify jsonwebtoken token kid=${keyid}`);
				assert.deepStrictEqual(h.payloadOf(r), jwt.decode(tok));
				assert.strictEqual(r.kid, key.kid);
			}
			/* a non-object payload signs and verifies as text */
			const tok = jwt.sign('just a string', key.signKey, { algorithm: kind.alg });
			const r = h.ok(await c.call('verify', { token: tok }));
			assert.strictEqual(r.kind, 'text');
			assert.strictEqual(Buffer.from(r.payload).toString('utf8'), 'just a string');
		});

		await t.test('expired token: TokenExpiredError "jwt expired", date == exp', async () => {
			const exp = now() - 100;
			const tok = jwt.sign({ u: 1, exp }, key.signKey, { algorithm: kind.alg, keyid: key.kid });
			const r = h.fails(await c.call('verify', { token: tok }), 'AG_E_EXPIRED',
					  { name: 'TokenExpiredError', message: 'jwt expired' });
			assert.strictEqual(r.date, exp);
			assert.throws(() => jwt.verify(tok, key.verifyKey),
				      (e) => e.name === r.name && e.message === r.message &&
					      e.expiredAt.getTime() === r.date * 1000);
		});

		await t.test('token not yet valid: NotBeforeError with date == nbf', async () => {
			const nbf = now() + 1000;
			const tok = jwt.sign({ u: 1, nbf }, key.signKey, { algorithm: kind.alg });
			const r = h.fails(await c.call('verify', { token: tok }), 'AG_E_NOT_ACTIVE',
					  { name: 'NotBeforeError', message: 'jwt not active' });
			assert.strictEqual(r.date, nbf);
			assert.throws(() => jwt.verify(tok, key.verifyKey),
				      (e) => e.name === r.name && e.date.getTime() === r.date * 1000);
		});

		await t.test('tampered token: "invalid signature"; garbage: "jwt malformed"', async () => {
			const good = h.ok(await c.call('sign', { payload: '{"role":"user"}' })).token;
			const [hd, , sig] = good.split('.');
			const evil = Buffer.from('{"role":"admin"}').toString('base64url');
			const tampered = `${hd}.${evil}.${sig}`;
			h.fails(await c.call('verify', { token: tampered }), 'AG_E_BAD_SIGNATURE',
				{ name: 'JsonWebTokenError', message: 'invalid signature' });
			assert.throws(() => jwt.verify(tampered, key.verifyKey), { message: 'invalid signature' });
			for (const garbage of ['garbage', 'a.b', 'not a token at all']) {
				h.fails(await c.call('verify', { token: garbage }), 'AG_E_MALFORMED',
					{ name: 'JsonWebTokenError', message: 'jwt malformed' });
			}
		});

		await t.test('keyid or header.kid in sign options: AG_E_SIGN_OPTION', async () => {
			for (const opts of [{ keyid: 'other' }, { header: { kid: 'other' } }]) {
				h.fails(await c.call('sign', { payload: '{"u":1}', opts: JSON.stringify(opts) }),
					'AG_E_SIGN_OPTION', { what: JSON.stringify(opts) });
			}
			/* the connection is still fine */
			h.ok(await c.call('sign', { payload: '{"u":1}' }));
		});

		await d.stop();
	});
}

test('key selection: unknown kid, verify-only, retired and past-retire keys', { timeout: h.TEST_TIMEOUT }, async (t) => {
	const past = Math.floor(Date.now() / 1000) - 3600;
	const env = h.setup({ keys: [
		{ name: 'cur', type: 'hs256', state: 'primary' },
		{ name: 'old', type: 'hs256', state: 'verify', retire: '2099-01-01T00:00:00Z' },
		{ name: 'gone', type: 'hs256', state: 'verify', retire: String(past) },
		{ name: 'dead', type: 'hs256', state: 'retired' },
	] });
	const d = await h.Daemon.start(env);
	t.after(() => d.cleanup());
	const c = await d.client();
	const tok = (name, keyid) => jwt.sign({ by: name }, env.keys[name].secret,
					     { algorithm: 'HS256', expiresIn: '1h', ...(keyid ? { keyid } : {}) });

	/* a verify-only key before its retire time verifies, by kid and without */
	for (const keyid of ['old', undefined, 'no-such-kid']) {
		const r = h.ok(await c.call('verify', { token: tok('old', keyid) }), `old key, kid ${keyid}`);
		assert.strictEqual(r.kid, 'old');
	}
	/* a key past its retire time, or retired, never verifies */
	for (const name of ['gone', 'dead']) {
		for (const keyid of [name, undefined]) {
			h.fails(await c.call('verify', { token: tok(name, keyid) }), 'AG_E_BAD_SIGNATURE',
				{ what: `${name} key, kid ${keyid}` });
		}
	}
	/* a token naming one key but signed by another does not verify */
	h.fails(await c.call('verify', { token: tok('cur', 'old') }), 'AG_E_BAD_SIGNATURE');
	const ks = h.ok(await c.call('keys')).keys;
	assert.deepStrictEqual(ks.map((k) => [k.name, k.state]),
			       [['cur', 'primary'], ['old', 'verify'], ['gone', 'retired'], ['dead', 'retired']]);
	assert.strictEqual(ks[2].retire, past);
	for (const k of ks)
		assert.deepStrictEqual(Object.keys(k).sort(), ['alg', 'created', 'fingerprint', 'kid', 'name', 'retire', 'state'],
				       'keys must never carry key material');
	/* a fingerprint (tests/integration/fingerprint.test.js) tells keys
	 * apart and gives none of them away */
	for (const k of ks)
		assert.match(k.fingerprint, /^(HMAC-SHA256|SHA256):[A-Za-z0-9_-]{43}$/);
	await d.stop();
});
