'use strict';
/*
 * metrics.test.js - engine.metrics() and engine.jwks(): the daemon's
 * Prometheus text for the app's own /metrics (with the engine's cache
 * hits in it), and the JWK Set jose verifies the engine's tokens with;
 * each refused, as AgauthError AG_E_UNAUTHORIZED, to a peer without its
 * right.
 */
const test = require('node:test');
const assert = require('node:assert');
const { spawnSync } = require('node:child_process');

const { createLocalJWKSet, jwtVerify } = require('jose');

const { h, daemon, engine, attached, outcome } = require('./helpers');

test('metrics(): the text agauthctl metrics prints, with the engine\'s cache hits', async () => {
	const d = await daemon();
	const e = await attached(engine(d));
	const t = await e.signToken({ u: 1 });

	/* answered from the cache: the hits go with the next request */
	for (let i = 0; i < 5; i++)
		assert.strictEqual((await e.verifyToken(t)).u, 1);
	const text = await e.metrics();
	const m = h.promText(text);

	assert.strictEqual(typeof text, 'string');
	assert.ok(m.value('agauthd_cache_hits_total') >= 5, `hits: ${m.value('agauthd_cache_hits_total')}`);
	assert.strictEqual(m.value('agauthd_requests_total', { op: 'sign', outcome: 'ok' }), 1);
	assert.strictEqual(m.value('agauthd_verify_duration_seconds_count'), 0, 'cache hits never reach agauthd');
	const ctl = spawnSync(h.AGAUTHCTL, ['--socket', d.env.sock, 'metrics'], { encoding: 'utf8' });
	assert.strictEqual(ctl.status, 0, ctl.stderr);
	assert.deepStrictEqual(Object.keys(h.promText(ctl.stdout).families), Object.keys(m.families));
	assert.deepStrictEqual([...h.promText(ctl.stdout).samples.keys()].filter((k) => !k.includes('op=')),
			       [...m.samples.keys()].filter((k) => !k.includes('op=')), 'the same series');
});

test('jwks(): the engine\'s ES256 and RS256 tokens verify with jose through it', async () => {
	const d = await daemon({ keys: [{ name: 'es1', type: 'p256', state: 'primary' },
					{ name: 'rs1', type: 'rsa2048' }, { name: 'hs1', type: 'hs256' }] });
	const e = engine(d);
	const token = await e.signToken({ u: 'jose' });
	const set = await e.jwks();

	assert.deepStrictEqual(set.keys.map((k) => [k.kid, k.kty, k.alg]),
			       [['es1', 'EC', 'ES256'], ['rs1', 'RSA', 'RS256']]);
	const { payload, protectedHeader } = await jwtVerify(token, createLocalJWKSet(set));
	assert.strictEqual(payload.u, 'jose');
	assert.strictEqual(protectedHeader.kid, 'es1');
});

/* The engine runs as root here: rights that leave root out refuse it. */
test('metrics() and jwks() refused without their rights', async () => {
	const d = await daemon({ conf: { access: { verify: 'uid:12345', metrics: 'uid:12345' } } });
	const e = engine(d);

	for (const [what, got] of [['metrics', await outcome(() => e.metrics())],
				   ['jwks', await outcome(() => e.jwks())]]) {
		assert.strictEqual(got.ok, false, `${what}() was answered`);
		assert.strictEqual(got.error.name, 'AgauthError');
		assert.strictEqual(got.error.code, 'AG_E_UNAUTHORIZED', `${what}: ${got.error.message}`);
	}
});
