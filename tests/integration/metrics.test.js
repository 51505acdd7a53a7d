'use strict';
/*
 * The metrics op and `agauthctl metrics`: Prometheus text with HELP and
 * TYPE for every family, requests by op and outcome, the latency
 * histograms, the cache, the keyring and its keys' ages, revocations,
 * connections.  The text's format is promtool's to judge
 * (tests/metrics/run.sh); the metrics right as another user is in
 * access.test.js.
 */
const test = require('node:test');
const assert = require('node:assert');
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');

const h = require('./harness');

const HOUR_AGO = Math.floor(Date.now() / 1000) - 3600;

/* A token with its signature's first character changed. */
function tampered(token) {
	const i = token.lastIndexOf('.') + 1;

	return token.slice(0, i) + (token[i] === 'A' ? 'B' : 'A') + token.slice(i + 1);
}

function ctl(env, ...args) {
	const r = spawnSync(h.AGAUTHCTL, ['--socket', env.sock, ...args], { encoding: 'utf8' });

	assert.strictEqual(r.status, 0, `agauthctl ${args.join(' ')}: ${r.stderr}`);
	return r.stdout;
}

test('metrics: requests by op and outcome, histograms, keyring, cache, revocations',
     { timeout: h.TEST_TIMEOUT }, async (t) => {
	const env = h.setup({ keys: [
		{ name: 'rs1', type: 'rsa2048', state: 'primary', created: HOUR_AGO },
		{ name: 'hs1', type: 'hs256' },
	] });
	const d = await h.Daemon.start(env);
	t.after(() => d.cleanup());
	const c = await d.client();
	const tokens = [];

	for (let i = 0; i < 2; i++)
		tokens.push(h.ok(await c.call('sign', { payload: `{"u":${i}}` })).token);
	for (const token of [tokens[0], tokens[1], tokens[0]])
		h.ok(await c.call('verify', { token }));
	h.fails(await c.call('verify', { token: tampered(tokens[0]) }), 'AG_E_BAD_SIGNATURE');
	h.fails(await c.call('launch', {}), 'AG_E_UNKNOWN_OP');
	h.ok(await c.call('keys', {}));
	h.ok(await c.call('revoke', { jti: 'no-such-jti' }));
	const stats = h.ok(await c.call('stats', {}));
	const text = h.ok(await c.call('metrics', {})).text;
	const m = h.promText(text);

	/* every sample belongs to a family with HELP and TYPE; counters are
	 * named _total */
	for (const key of m.samples.keys()) {
		const name = key.replace(/\{.*$/, '');
		const fam = m.families[name] || m.families[name.replace(/_(bucket|sum|count)$/, '')];
		assert.ok(fam && fam.help && fam.type, `${name}: HELP and TYPE`);
		if (fam.type === 'counter')
			assert.match(name, /_total$/);
	}
	const req = (op, outcome) => m.value('agauthd_requests_total', { op, outcome });
	assert.strictEqual(req('hello', 'ok'), 1);
	assert.strictEqual(req('sign', 'ok'), 2);
	assert.strictEqual(req('verify', 'ok'), 3);
	assert.strictEqual(req('verify', 'AG_E_BAD_SIGNATURE'), 1);
	assert.strictEqual(req('unknown', 'AG_E_UNKNOWN_OP'), 1);
	assert.strictEqual(req('keys', 'ok'), 1);
	assert.strictEqual(req('revoke', 'ok'), 1);
	assert.strictEqual(req('stats', 'ok'), 1);
	assert.strictEqual(req('jwks', 'ok'), 0, 'every op has its ok series from the start');
	assert.strictEqual(req('metrics', 'ok'), 0, 'this request is counted once answered');
	/* each request once: all of them but this one, as stats counted
	 * them (stats counted itself, not yet this one) */
	let sum = 0;
	for (const [key, v] of m.samples)
		if (key.startsWith('agauthd_requests_total{'))
			sum += v;
	assert.strictEqual(sum, stats.requests);

	/* cumulative buckets up to +Inf, which is the count */
	for (const [name, n] of [['agauthd_sign_duration_seconds', 2],
				 ['agauthd_verify_duration_seconds', 4]]) {
		const buckets = [...m.samples].filter(([k]) => k.startsWith(`${name}_bucket{`));
		assert.strictEqual(m.families[name].type, 'histogram');
		assert.strictEqual(buckets.length, 16, `${name}: 15 bounds and +Inf`);
		for (let i = 1; i < buckets.length; i++)
			assert.ok(buckets[i][1] >= buckets[i - 1][1], `${name}: cumulative`);
		assert.strictEqual(m.value(`${name}_bucket`, { le: '+Inf' }), n);
		assert.strictEqual(m.value(`${name}_count`), n);
		assert.ok(m.value(`${name}_sum`) > 0, `${name}_sum`);
	}

	assert.strictEqual(m.value('agauthd_keyring_generation'), stats.generation);
	assert.strictEqual(m.value('agauthd_keys', { state: 'primary' }), 1);
	assert.strictEqual(m.value('agauthd_keys', { state: 'verify' }), 1);
	const age = m.value('agauthd_key_age_seconds',
			    { key: 'rs1', kid: 'rs1', alg: 'RS256', state: 'primary' });
	assert.ok(age >= 3600 && age < 3600 + 600, `rs1's age: ${age}`);
	assert.ok(![...m.samples.keys()].some((k) => k.includes('key="hs1"')),
		  'a key without a created time has no age');
	assert.strictEqual(m.value('agauthd_revocations'), 1);
	assert.strictEqual(m.value('agauthd_connections'), 1);
	assert.strictEqual(m.value('agauthd_crypto_queue_depth'), 0);
	assert.strictEqual(m.value('agauthd_cache_entries'), stats.cache_entries);
	assert.strictEqual(m.value('agauthd_cache_inserts_total'), stats.cache_inserts);
	assert.ok(m.value('agauthd_cache_entries') >= 2, 'the signed tokens are cached');

	/* a reload moves the generation on; the metrics request was counted */
	h.ok(await c.call('reload', {}));
	const after = h.promText(h.ok(await c.call('metrics', {})).text);
	assert.strictEqual(after.value('agauthd_keyring_generation'), stats.generation + 1);
	assert.strictEqual(after.value('agauthd_requests_total', { op: 'metrics', outcome: 'ok' }), 1);
	assert.strictEqual(after.value('agauthd_requests_total', { op: 'reload', outcome: 'ok' }), 1);
	c.destroy();
	await d.stop();
});

/* Nothing of a token, a subject or a key is in the text: only names,
 * kids, codes and numbers. */
test('metrics: no token, subject or key material in the text', { timeout: h.TEST_TIMEOUT }, async (t) => {
	const env = h.setup({ keys: [{ name: 'hs1', type: 'hs256', state: 'primary' }] });
	const d = await h.Daemon.start(env);
	t.after(() => d.cleanup());
	const c = await d.client();
	const token = h.ok(await c.call('sign', { payload: '{"sub":"alice-the-user"}', opts: '{"jwtid":"jti-xyz"}' })).token;

	h.ok(await c.call('verify', { token }));
	h.ok(await c.call('revoke', { sub: 'alice-the-user' }));
	h.fails(await c.call('verify', { token }), 'AG_E_REVOKED');
	const text = h.ok(await c.call('metrics', {})).text;
	const secret = env.keys.hs1.secret;

	for (const part of [...token.split('.'), 'alice-the-user', 'jti-xyz', secret.toString('hex'),
			    secret.toString('base64'), secret.toString('base64url'),
			    fs.readFileSync(env.keys.hs1.file, 'utf8').trim()])
		assert.ok(!text.includes(part), `the metrics hold ${part}`);
	c.destroy();
	await d.stop();
});

test('agauthctl metrics prints the text; --json wraps it', { timeout: h.TEST_TIMEOUT }, async (t) => {
	const env = h.setup();
	const d = await h.Daemon.start(env);
	t.after(() => d.cleanup());
	const text = ctl(env, 'metrics');
	const m = h.promText(text);

	assert.ok(text.startsWith('# HELP agauthd_requests_total '), text.slice(0, 200));
	assert.ok(text.endsWith('\n') && !text.endsWith('\n\n'), 'one newline at the end');
	assert.strictEqual(m.value('agauthd_requests_total', { op: 'hello', outcome: 'ok' }), 1);
	const j = JSON.parse(ctl(env, '--json', 'metrics'));
	assert.strictEqual(j.ok, true);
	assert.deepStrictEqual(Object.keys(h.promText(j.metrics).families), Object.keys(m.families));
	await d.stop();
});
