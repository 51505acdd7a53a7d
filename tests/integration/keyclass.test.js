'use strict';
/*
 * Key classification: a key file that looks like PEM is never an HMAC secret, in any
 * state, on any path that loads keys (start, -t, reload, rotate): a
 * public key taken as a secret lets whoever holds the public key forge
 * tokens, and a damaged PEM must be an error, not a secret.
 */
const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const path = require('node:path');

const jwt = require('jsonwebtoken');

const h = require('./harness');

const EX_CONFIG = 78;
const KEYS = path.join(h.ROOT, 'tests', 'vectors', 'keys');
const esc = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const vector = (name) => fs.readFileSync(path.join(KEYS, name), 'utf8');

/* [what, the file's text, why it is refused] */
const MATERIAL = [
	['an RSA public key', vector('rsa2048.spki.pem'), /not a key for HS256|never taken as an HMAC secret/],
	['an EC public key', vector('ecp256.spki.pem'), /not a key for HS256|never taken as an HMAC secret/],
	['a certificate', vector('rsa2048.cert.pem'), /a certificate is not a key/],
	['a damaged PEM', '-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQ\n', /PEM text that holds no RSA or EC key/],
	['a PEM after whitespace', '\n  \t-----BEGIN RSA PRIVATE KEY-----\nMIIB\n-----END RSA PRIVATE KEY-----\n',
	 /PEM text that holds no RSA or EC key/],
];

/* An HS256 key hs0 in `state` whose file holds `text` (with a good
 * primary beside it when hs0 is not the primary). */
function env(state, text) {
	const keys = [{ name: 'hs0', material: text, encoding: 'raw', algorithm: 'HS256', state }];
	if (state !== 'primary')
		keys.unshift({ name: 'hs1', type: 'hs256', state: 'primary' });
	return h.setup({ keys });
}

test('an HS key whose file is PEM text: agauthd -t and agauthd refuse it in every state', { timeout: h.TEST_TIMEOUT }, () => {
	for (const state of ['primary', 'verify', 'retired']) {
		for (const [what, text, reason] of MATERIAL) {
			const e = env(state, text);
			const file = e.keys.hs0.file;
			for (const args of [['-t', '-c', e.conf], ['-c', e.conf]]) {
				const r = h.run(args, { timeout: h.slow(10000) });
				const label = `${what} as a ${state} HS256 key, agauthd ${args[0]}`;
				assert.strictEqual(r.status, EX_CONFIG, `${label}: exit ${r.status}\n${r.stderr}`);
				assert.match(r.stderr, new RegExp(`${esc(file)}: .*\\[key hs0\\]`), label);
				assert.match(r.stderr, reason, label);
				assert.ok(!fs.existsSync(e.sock), `${label}: the socket was made`);
			}
		}
	}
});

test('reload refuses a PEM file as an HS key, and a token forged with the public key stays refused', { timeout: h.TEST_TIMEOUT }, async (t) => {
	const e = h.setup({ keys: [{ name: 'hs1', type: 'hs256', state: 'primary' }] });
	const d = await h.Daemon.start(e);
	t.after(() => d.cleanup());
	const c = await d.client();
	const manifest = fs.readFileSync(e.keyring, 'utf8');
	const pub = vector('rsa2048.spki.pem');
	const file = path.join(e.dir, 'keys', 'pub.pem');
	fs.writeFileSync(file, pub, { mode: 0o600 });

	for (const state of ['primary', 'verify']) {
		/* the public key as the primary (hs1 demoted) or beside it */
		fs.writeFileSync(e.keyring, h.keyringText([
			{ name: 'hs1', file: 'keys/hs1.key', encoding: 'base64', algorithm: 'HS256',
			  state: state === 'primary' ? 'verify' : 'primary' },
			{ name: 'pub', file: 'keys/pub.pem', encoding: 'raw', algorithm: 'HS256', state, kid: '' }]));
		const r = h.fails(await c.call('reload'), 'AG_E_KEYRING', { what: `reload with the public key as a ${state} HS256 key` });
		assert.match(r.message, new RegExp(`^${esc(file)}: .*\\[key pub\\]`));
		assert.match(r.message, /not a key for HS256|never taken as an HMAC secret/);

		const before = d.stderr.length;
		d.signal('SIGHUP');
		await h.waitFor(() => /reload failed, keeping generation 1: /.test(d.stderr.slice(before)),
				{ timeout: 10000, what: 'the failed SIGHUP reload logged' });
		assert.match(d.stderr.slice(before), /\[key pub\]/);

		/* what the attack would have been: HS256 with the PEM text */
		const forged = jwt.sign({ sub: 'admin' }, pub, { algorithm: 'HS256' });
		h.fails(await c.call('verify', { token: forged }), 'AG_E_BAD_SIGNATURE', { what: `forged token, ${state}` });
		assert.strictEqual(h.ok(await c.call('stats')).generation, 1);
		assert.strictEqual(h.ok(await c.call('sign', { payload: '{}' })).kid, 'hs1');
	}
	fs.writeFileSync(e.keyring, manifest);
	assert.strictEqual(h.ok(await c.call('reload')).generation, 2);
	await d.stop();
});

test('rotate refuses a keyring whose kept key file became a damaged PEM', { timeout: h.TEST_TIMEOUT }, async (t) => {
	const e = h.setup({ keys: [
		{ name: 'hs1', type: 'hs256', state: 'primary' },
		{ name: 'legacy', material: 'an old authKey', encoding: 'raw', algorithm: 'HS256', state: 'verify', kid: '' },
	] });
	const d = await h.Daemon.start(e);
	t.after(() => d.cleanup());
	const c = await d.client();
	const old = jwt.sign({ n: 1 }, 'an old authKey', { algorithm: 'HS256', expiresIn: '1h' });
	h.ok(await c.call('verify', { token: old }));
	const manifest = fs.readFileSync(e.keyring, 'utf8');

	/* the file is damaged under the running daemon; rotation reads
	 * every key file again */
	const file = e.keys.legacy.file;
	fs.writeFileSync(file, '-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEI\n', { mode: 0o600 });
	const r = h.fails(await c.call('rotate'), 'AG_E_KEYRING', { what: 'rotate with a damaged PEM kept' });
	assert.match(r.message, new RegExp(`^${esc(file)}: PEM text that holds no RSA or EC key .*\\[key legacy\\]`));
	assert.strictEqual(fs.readFileSync(e.keyring, 'utf8'), manifest, 'the manifest was rewritten');
	assert.deepStrictEqual(fs.readdirSync(path.join(e.dir, 'keys')).sort(), ['hs1.key', 'legacy.key'],
			       'the new key file was left behind');
	const s = h.ok(await c.call('stats'));
	assert.strictEqual(s.generation, 1);
	assert.strictEqual(h.ok(await c.call('sign', { payload: '{}' })).kid, 'hs1');
	h.ok(await c.call('verify', { token: old }), 'the running keyring still verifies');
	await d.stop();
});
