'use strict';
/*
 * A token's identity and what the cache gives away (docs/cache.md):
 *
 * - An ES256 token re-spelled (s replaced by n - s, made without the key)
 *   verifies, as jsonwebtoken says; but `revoke --token` of either
 *   spelling refuses both, in the daemon and from the cache, and the
 *   other spelling is never cached after.
 * - An RS256 token (~480 bytes, longer than a 512-byte slot held when the
 *   cache kept whole tokens) is cached under the default configuration,
 *   and so is a 2 KiB payload.
 * - A peer that may verify but not sign maps the cache and finds in it
 *   none of the tokens signed or verified, nor their signatures: it
 *   learns claims, and can present nothing.
 */
const test = require('node:test');
const assert = require('node:assert');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const jwt = require('jsonwebtoken');

const h = require('./harness');

const AGAUTHCTL = path.resolve(h.ROOT, process.env.AGAUTHCTL || 'build/agauthctl');
const PROBE = path.resolve(h.ROOT, process.env.CACHE_PROBE || 'build/cache_probe');
const NOBODY = 65534;

/* The order of P-256's base point (SEC 2, FIPS 186-4 D.1.2.3). */
const P256_N = BigInt('0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551');

function ctlJson(env, args) {
	const r = spawnSync(AGAUTHCTL, ['--socket', env.sock, '--json', ...args],
			    { encoding: 'utf8', timeout: 20000 });
	if (r.error)
		throw r.error;
	try {
		return { status: r.status, json: JSON.parse(r.stdout), stderr: r.stderr };
	} catch (e) {
		return assert.fail(`agauthctl ${args.join(' ')}: ${r.stdout} ${r.stderr}`);
	}
}

/* tok with its ECDSA signature's s replaced by n - s: the same signature
 * to a verifier, other bytes; made without the key. */
function respell(tok) {
	const [hd, pl, sig] = tok.split('.');
	const raw = Buffer.from(sig, 'base64url');
	assert.strictEqual(raw.length, 64, 'an ES256 signature is r || s');
	const s = BigInt(`0x${raw.subarray(32).toString('hex')}`);
	const s2 = Buffer.from((P256_N - s).toString(16).padStart(64, '0'), 'hex');
	const out = `${hd}.${pl}.${Buffer.concat([raw.subarray(0, 32), s2]).toString('base64url')}`;
	assert.notStrictEqual(out, tok);
	return out;
}

test('an ES256 token re-spelled: valid as a signature, revoked and never cached as the same token', { timeout: h.TEST_TIMEOUT }, async (t) => {
	const env = h.setup({ keys: [{ name: 'es1', type: 'p256', state: 'primary' }] });
	const d = await h.Daemon.start(env);
	t.after(() => d.cleanup());
	const c = await d.client();

	for (const which of ['original', 'respelled']) {
		const tok = h.ok(await c.call('sign', { payload: JSON.stringify({ sub: 'root', admin: true, which }),
							opts: '{"expiresIn":3600}' })).token;
		const alt = respell(tok);
		/* jsonwebtoken takes both */
		for (const x of [tok, alt])
			assert.strictEqual(jwt.verify(x, env.keys.es1.pub, { algorithms: ['ES256'] }).which, which);
		/* so does agauthd; the sign cached tok, the verify caches alt
		 * in its place: one entry */
		assert.strictEqual(ctlJson(env, ['verify', '--cache', tok]).json.cache, 'hit');
		assert.strictEqual(ctlJson(env, ['verify', '--cache', alt]).json.cache, 'miss');
		assert.strictEqual(ctlJson(env, ['verify', '--cache', alt]).json.cache, 'hit');

		/* revoke one spelling: both are the token */
		const [revoked, other] = which === 'original' ? [tok, alt] : [alt, tok];
		const r = ctlJson(env, ['revoke', '--token', revoked]);
		assert.deepStrictEqual({ ...r.json, at: typeof r.json.at }, { ok: true, purged: 1, live: true, at: 'number' }, r.stderr);
		for (const x of [other, revoked]) {
			h.fails(await c.call('verify', { token: x }), 'AG_E_REVOKED', { message: 'jwt revoked' });
			for (let k = 0; k < 2; k++) {
				const v = ctlJson(env, ['verify', '--cache', x]);
				assert.deepStrictEqual(v.json, { ok: false, code: 'AG_E_REVOKED', name: 'JsonWebTokenError',
								 message: 'jwt revoked', cache: 'miss' },
						       `${which}: never cached again`);
			}
		}
	}
	/* the records hold after a restart */
	await d.stop();
	const d2 = await h.Daemon.start(env);
	t.after(() => d2.cleanup());
	const c2 = await d2.client();
	assert.strictEqual((h.ok(await c2.call('stats'))).revocations, 2);
	await d2.stop();
});

test('RS256 tokens and 2 KiB payloads are cached under the default configuration', { timeout: h.TEST_TIMEOUT }, async (t) => {
	const env = h.setup({ keys: [{ name: 'rs1', type: 'rsa2048', state: 'primary' }] });
	const d = await h.Daemon.start(env);
	t.after(() => d.cleanup());
	const c = await d.client();

	for (const pad of [0, 2000]) {
		const payload = JSON.stringify({ sub: 'alice', channels: ['a', 'b'], pad: 'p'.repeat(pad) });
		const tok = h.ok(await c.call('sign', { payload, opts: '{"expiresIn":3600}' })).token;
		assert.ok(tok.length > 448, `${tok.length} bytes`);
		const r = ctlJson(env, ['verify', '--cache', tok]);
		assert.strictEqual(r.status, 0, r.stderr);
		assert.strictEqual(r.json.cache, 'hit', `an RS256 token of ${tok.length} bytes, payload ${payload.length}`);
		assert.strictEqual(r.json.payload.pad.length, pad);
	}
	const st = h.ok(await c.call('stats'));
	assert.strictEqual(st.cache_skipped, 0, JSON.stringify(st));
	await d.stop();
});

test('a peer that may verify but not sign maps the cache and finds no token in it', { timeout: h.TEST_TIMEOUT }, async (t) => {
	const env = h.setup({
		keys: [{ name: 'hs1', type: 'hs256', state: 'primary' },
		       { name: 'es1', type: 'p256', state: 'verify' },
		       { name: 'rs1', type: 'rsa2048', state: 'verify' }],
		conf: { socket: { mode: '0666' }, access: { sign: 'uid:0', verify: '*', admin: 'uid:0' },
			cache: { size: '4M' } },
	});
	const d = await h.Daemon.start(env);
	t.after(() => d.cleanup());
	const c = await d.client();

	/* root's freshly issued tokens, and tokens other peers had verified */
	const toks = [];
	for (let i = 0; i < 20; i++)
		toks.push(h.ok(await c.call('sign', { payload: JSON.stringify({ sub: `user${i}`, admin: i === 0 }),
						      opts: '{"expiresIn":3600}' })).token);
	for (const [name, alg] of [['es1', 'ES256'], ['rs1', 'RS256'], ['hs1', 'HS256']])
		for (let i = 0; i < 5; i++) {
			const tok = jwt.sign({ sub: `${name}-${i}` }, env.keys[name].signKey,
					     { algorithm: alg, keyid: name, expiresIn: '1h' });
			h.ok(await c.call('verify', { token: tok }));
			toks.push(tok);
		}
	for (const tok of toks)
		assert.strictEqual(ctlJson(env, ['verify', '--cache', tok]).json.cache, 'hit');

	/* nobody maps it as a worker would and writes out what it reads */
	const out = h.tmpdir('dump');
	fs.chmodSync(out, 0o777);
	const dump = path.join(out, 'cache');
	const r = spawnSync(h.forOthers().program(PROBE), [env.sock, dump], { uid: NOBODY, gid: NOBODY, encoding: 'utf8', timeout: 20000 });
	assert.ifError(r.error);
	assert.strictEqual(r.status, 0, `cache_probe as nobody: ${r.stdout} ${r.stderr}`);
	const mem = fs.readFileSync(dump);
	assert.strictEqual(mem.length, JSON.parse(r.stdout).bytes);
	for (const tok of toks) {
		const dot = tok.lastIndexOf('.');
		const sig = tok.slice(dot + 1);
		assert.strictEqual(mem.indexOf(tok), -1, 'a whole token in the mapping');
		assert.strictEqual(mem.indexOf(sig), -1, `a signature in the mapping: ${tok}`);
		assert.strictEqual(mem.indexOf(Buffer.from(sig, 'base64url')), -1, 'a signature\'s bytes');
		/* what a reader does learn: the claims it could read anyway */
		assert.notStrictEqual(mem.indexOf(tok.slice(0, dot)), -1, 'the signing input is there');
	}
	await d.stop();
});
