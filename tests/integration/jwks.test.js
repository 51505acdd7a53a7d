'use strict';
/*
 * The jwks op and `agauthctl jwks`: the RFC 7517 JWK Set of the public
 * RS, PS and ES keys that verify now.  Tokens agauthd signs verify with
 * jose's createLocalJWKSet of it; HMAC secrets and private members are
 * never in it.  The verify right as another user is in access.test.js.
 */
const test = require('node:test');
const assert = require('node:assert');
const { spawnSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');

const { createLocalJWKSet, jwtVerify } = require('jose');

const h = require('./harness');

/* the members a public JWK of agauthd's may have */
const PUBLIC = new Set(['kty', 'kid', 'alg', 'use', 'n', 'e', 'crv', 'x', 'y']);

const SIGNERS = [
	{ name: 'rs', type: 'rsa2048', algorithm: 'RS256' },
	{ name: 'ps', type: 'rsa2048', algorithm: 'PS256' },
	{ name: 'e256', type: 'p256', algorithm: 'ES256' },
	{ name: 'e384', type: 'p384', algorithm: 'ES384' },
	{ name: 'e521', type: 'p521', algorithm: 'ES512' },
];

function ctl(env, ...args) {
	return spawnSync(h.AGAUTHCTL, ['--socket', env.sock, ...args], { encoding: 'utf8' });
}

async function jwksOf(c) {
	const text = h.ok(await c.call('jwks', {})).jwks;

	assert.strictEqual(typeof text, 'string');
	return { text, set: JSON.parse(text) };
}

/* The keyring of env with `primary` as its primary key, every other
 * key of keys as listed. */
function writeKeyring(env, keys, primary) {
	fs.writeFileSync(env.keyring, h.keyringText(keys.map((k) => ({
		name: k.name, file: env.keys[k.name].file, algorithm: k.algorithm || env.keys[k.name].alg,
		encoding: k.encoding, kid: k.kid,
		state: k.name === primary ? 'primary' : (k.state || 'verify'),
	}))));
}

test('jwks: tokens signed with RS256, PS256, ES256, ES384 and ES512 verify through createLocalJWKSet',
     { timeout: h.TEST_TIMEOUT }, async (t) => {
	const keys = [
		...SIGNERS,
		{ name: 'hs1', type: 'hs256' },
		/* retired: no longer in the set */
		{ name: 'old', type: 'p256', algorithm: 'ES256', state: 'retired' },
		/* no kid (as an imported key): its JWK has none */
		{ name: 'nokid', type: 'rsa2048', algorithm: 'RS256', kid: '' },
	];
	const env = h.setup({ keys: keys.map((k) => ({ ...k, state: k.name === 'rs' ? 'primary' : k.state })) });
	const d = await h.Daemon.start(env);
	t.after(() => d.cleanup());
	const c = await d.client();
	const tokens = [];

	/* each algorithm in turn is the primary that signs */
	for (const s of SIGNERS) {
		writeKeyring(env, keys, s.name);
		h.ok(await c.call('reload', {}));
		tokens.push([s, h.ok(await c.call('sign', { payload: `{"signer":"${s.name}"}` })).token]);
	}
	const { set } = await jwksOf(c);
	assert.deepStrictEqual(set.keys.map((k) => k.kid),
			       ['rs', 'ps', 'e256', 'e384', 'e521', undefined],
			       'the RS, PS and ES keys that verify, in keyring order');
	for (const jwk of set.keys) {
		for (const m of Object.keys(jwk))
			assert.ok(PUBLIC.has(m), `member ${m} in ${JSON.stringify(jwk)}`);
		const name = jwk.kid || 'nokid';
		const node = crypto.createPublicKey(fs.readFileSync(env.keys[name].file)).export({ format: 'jwk' });
		assert.strictEqual(jwk.use, 'sig');
		assert.strictEqual(jwk.alg, env.keys[name].alg);
		/* the same numbers as Node's own export: base64url unpadded, n
		 * without leading zeros, x and y at the curve's width */
		for (const m of ['kty', 'n', 'e', 'crv', 'x', 'y'])
			assert.strictEqual(jwk[m], node[m], `${name}: ${m}`);
	}
	const keyset = createLocalJWKSet(set);
	for (const [s, token] of tokens) {
		const { payload, protectedHeader } = await jwtVerify(token, keyset);
		assert.strictEqual(payload.signer, s.name);
		assert.strictEqual(protectedHeader.alg, s.algorithm);
		assert.strictEqual(protectedHeader.kid, s.name);
	}
	/* and a token some other key signed does not */
	const forged = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
	const h64 = Buffer.from(JSON.stringify({ alg: 'ES256', typ: 'JWT', kid: 'e256' })).toString('base64url');
	const p64 = Buffer.from('{"signer":"e256"}').toString('base64url');
	const sig = crypto.sign('sha256', Buffer.from(`${h64}.${p64}`), { key: forged, dsaEncoding: 'ieee-p1363' });
	await assert.rejects(jwtVerify(`${h64}.${p64}.${sig.toString('base64url')}`, keyset),
			     { code: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED' });

	/* agauthctl prints the same set; --json wraps it */
	const r = ctl(env, 'jwks');
	assert.strictEqual(r.status, 0, r.stderr);
	assert.deepStrictEqual(JSON.parse(r.stdout), set);
	const j = JSON.parse(ctl(env, '--json', 'jwks').stdout);
	assert.deepStrictEqual(j, { ok: true, jwks: set });
	c.destroy();
	await d.stop();
});

test('jwks: a keyring of HMAC keys only gives {"keys":[]}', { timeout: h.TEST_TIMEOUT }, async (t) => {
	const env = h.setup({ keys: [
		{ name: 'hs1', type: 'hs256', state: 'primary' },
		{ name: 'hs5', type: 'hs512' },
	] });
	const d = await h.Daemon.start(env);
	t.after(() => d.cleanup());
	const c = await d.client();

	assert.strictEqual((await jwksOf(c)).text, '{"keys":[]}');
	const r = ctl(env, 'jwks');
	assert.strictEqual(r.status, 0, r.stderr);
	assert.strictEqual(r.stdout, '{"keys":[]}\n');
	c.destroy();
	await d.stop();
});

/* Every spelling of a secret a careless export could carry. */
function spellings(bytes) {
	const out = [bytes.toString('hex'), bytes.toString('hex').toUpperCase(),
		     bytes.toString('base64'), bytes.toString('base64').replace(/=+$/, ''),
		     bytes.toString('base64url')];
	const text = bytes.toString('latin1');
	/* the raw bytes as text, where they are printable */
	if (/^[\x20-\x7e]+$/.test(text))
		out.push(text, JSON.stringify(text).slice(1, -1));
	return out.filter((s) => s.length >= 8);
}

/* The attack: an HMAC secret of every encoding beside RSA and EC keys,
 * and a look for each spelling of it, for every private member's name
 * and for each private member's value, in the whole reply. */
test('jwks: no HMAC secret, no private member, in any spelling', { timeout: h.TEST_TIMEOUT }, async (t) => {
	const env = h.setup({ keys: [
		{ name: 'rs', type: 'rsa2048', state: 'primary' },
		{ name: 'e521', type: 'p521', algorithm: 'ES512' },
		{ name: 'hs1', type: 'hs256' },
		{ name: 'hsraw', material: 'a raw secret of printable text!', encoding: 'raw', algorithm: 'HS384' },
		{ name: 'hstext', material: 'a text secret, "quoted"\n', encoding: 'text', algorithm: 'HS512' },
	] });
	const d = await h.Daemon.start(env);
	t.after(() => d.cleanup());
	const c = await d.client();
	const { text, set } = await jwksOf(c);
	const reply = c.replies[c.replies.length - 1];
	const all = `${text}\n${JSON.stringify(reply)}`;

	assert.deepStrictEqual(set.keys.map((k) => k.kid), ['rs', 'e521']);
	assert.doesNotMatch(all, /"(d|p|q|dp|dq|qi|oth|k)"\s*:/, 'a private or secret member');
	for (const name of ['hs1', 'hsraw', 'hstext']) {
		const k = env.keys[name];
		for (const s of [...spellings(k.secret), fs.readFileSync(k.file, 'latin1').trim()])
			assert.ok(!all.includes(s), `${name}'s secret, spelled ${s}`);
	}
	for (const name of ['rs', 'e521']) {
		const priv = crypto.createPrivateKey(fs.readFileSync(env.keys[name].file)).export({ format: 'jwk' });
		for (const m of ['d', 'p', 'q', 'dp', 'dq', 'qi'].filter((x) => priv[x]))
			for (const s of spellings(Buffer.from(priv[m], 'base64url')))
				assert.ok(!all.includes(s), `${name}'s ${m}`);
	}
	c.destroy();
	await d.stop();
});
