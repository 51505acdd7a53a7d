'use strict';
/*
 * `keys` shows each key's fingerprint, so that operators can check that
 * the hosts of a fleet hold the same keys: SHA-256 of the public key (DER
 * SPKI) of an RSA or EC key, as openssl computes it; for a secret,
 * HMAC-SHA-256 under it of a fixed text, which tells secrets apart and
 * reveals nothing of them (not their SHA-256, which would let a short one
 * be guessed).
 */
const test = require('node:test');
const assert = require('node:assert');
const crypto = require('node:crypto');

const h = require('./harness');

test('keys: the fingerprint of every key, the same for the same key on another host', { timeout: h.TEST_TIMEOUT }, async (t) => {
	const keys = [
		{ name: 'hs1', type: 'hs256', state: 'primary' },
		{ name: 'ec1', type: 'p256', state: 'verify' },
		{ name: 'rs1', type: 'rsa2048', state: 'verify' },
	];
	const env = h.setup({ keys });
	const d = await h.Daemon.start(env);
	t.after(() => d.cleanup());
	const c = await d.client();
	const got = Object.fromEntries(h.ok(await c.call('keys')).keys.map((k) => [k.name, k.fingerprint]));

	const secret = env.keys.hs1.secret;
	const mac = crypto.createHmac('sha256', secret).update('agauthd key fingerprint v1').digest('base64url');
	assert.strictEqual(got.hs1, `HMAC-SHA256:${mac}`);
	assert.notStrictEqual(got.hs1, `HMAC-SHA256:${crypto.createHash('sha256').update(secret).digest('base64url')}`,
			      'a secret\'s own digest');
	for (const n of ['ec1', 'rs1']) {
		const der = crypto.createPublicKey(env.keys[n].pem).export({ type: 'spki', format: 'der' });
		assert.strictEqual(got[n], `SHA256:${crypto.createHash('sha256').update(der).digest('base64url')}`, n);
	}

	/* another host with the same key files: the same fingerprints */
	const other = h.setup({ keys: keys.map((k) => ({ ...k, material: require('node:fs').readFileSync(env.keys[k.name].file) })) });
	const d2 = await h.Daemon.start(other);
	t.after(() => d2.cleanup());
	const c2 = await d2.client();
	const got2 = Object.fromEntries(h.ok(await c2.call('keys')).keys.map((k) => [k.name, k.fingerprint]));
	assert.deepStrictEqual(got2, got);
	await d.stop();
	await d2.stop();
});
