'use strict';
/*
 * activate = TIME (docs/operations.md, "Keys"): a key shipped with an
 * activation instant verifies at once and becomes primary at that
 * instant on its own, with no reload; the old primary verifies for
 * [keys] default_expiry more, then retires.  A bad TIME is refused at
 * every door (tests/integration/keyring_rules.test.js has the rows).
 */
const test = require('node:test');
const assert = require('node:assert');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const h = require('./harness');

const AGAUTHCTL = path.resolve(h.ROOT, process.env.AGAUTHCTL || 'build/agauthctl');
const EXPIRY = 3600;

test('a key with activate = TIME signs from that instant on, with no reload; both keys verify', { timeout: h.TEST_TIMEOUT }, async (t) => {
	const at = Math.floor(Date.now() / 1000) + 3;
	const env = h.setup({
		keys: [
			{ name: 'old', type: 'hs256', state: 'primary' },
			{ name: 'new', type: 'p256', activate: String(at) },
		],
		conf: { keys: { default_expiry: EXPIRY } },
	});
	const d = await h.Daemon.start(env);
	t.after(() => d.cleanup());
	const c = await d.client();
	const sign = async (i) => h.ok(await c.call('sign', { payload: JSON.stringify({ i }), opts: '{"expiresIn":3600}' }), 'sign').token;
	const keys = async () => h.ok(await c.call('keys')).keys;

	const before = await sign(1);
	assert.ok(Date.now() / 1000 < at, 'signed before the instant (the machine is slow: raise the margin)');
	assert.deepStrictEqual(h.decodeToken(before).header, { alg: 'HS256', typ: 'JWT', kid: 'old' });
	let ks = await keys();
	assert.deepStrictEqual(ks.map((k) => [k.name, k.state, k.activate]), [['old', 'primary', undefined], ['new', 'verify', at]]);
	assert.strictEqual(ks[0].retire, at + EXPIRY, 'the old primary retires default_expiry after the activation');
	/* agauthctl keys shows the pending activation */
	const shown = spawnSync(AGAUTHCTL, ['--socket', env.sock, 'keys'], { encoding: 'utf8' });
	assert.match(shown.stdout, /ACTIVATES/);
	assert.match(shown.stdout, new RegExp(`new .*verify .*${new Date(at * 1000).toISOString().replace('.000', '')}`));

	await h.waitFor(() => Date.now() / 1000 >= at + 0.05, { timeout: 10000, what: 'the activation instant' });
	const after = await sign(2);
	assert.deepStrictEqual(h.decodeToken(after).header, { alg: 'ES256', typ: 'JWT', kid: 'new' });
	/* both verify; no reload happened: the same generation */
	for (const tok of [before, after])
		h.ok(await c.call('verify', { token: tok }), 'verify');
	assert.strictEqual(h.ok(await c.call('stats')).generation, 1);
	ks = await keys();
	assert.deepStrictEqual(ks.map((k) => [k.name, k.state]), [['old', 'verify'], ['new', 'primary']]);
	/* the cache still answers for the old key's token */
	const v = JSON.parse(spawnSync(AGAUTHCTL, ['--socket', env.sock, '--json', 'verify', '--cache', before], { encoding: 'utf8' }).stdout);
	assert.strictEqual(v.cache, 'hit', JSON.stringify(v));
	/* a reload now reads the same manifest and keeps the same primary */
	h.ok(await c.call('reload'));
	assert.strictEqual(h.decodeToken(await sign(3)).header.kid, 'new');
});
