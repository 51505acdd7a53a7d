'use strict';
/*
 * noaddon.test.js - the engine without its native addon: every verify
 * goes to agauthd and answers the same; an addon that cannot be loaded
 * is reported once (process warning AGAUTHD_NO_ADDON), one left out on
 * purpose (AGAUTHD_NO_ADDON=1) silently.  This file loads the package
 * with AGAUTHD_ADDON pointing nowhere; the silent case runs in a child.
 */
const warnings = [];

process.on('warning', (w) => warnings.push(w));
process.env.AGAUTHD_ADDON = '/nonexistent/agauthd.node';

const test = require('node:test');
const assert = require('node:assert');
const { spawnSync } = require('node:child_process');

const jwt = require('jsonwebtoken');

const { h, PKG, daemon, engine, outcome, assertSame, keyOf } = require('./helpers');

test('without the addon: the same answers, all from agauthd, one warning', async () => {
	const d = await daemon();
	const e1 = engine(d), e2 = engine(d);
	const k = keyOf(d);
	const t = await e1.signToken({ u: 1 }, null, { expiresIn: 60 });
	const s0 = await e1.stats();

	for (const opts of [{}, { complete: true }, { audience: /x/ }, { algorithms: ['RS256'] }]) {
		for (let i = 0; i < 3; i++)
			assertSame(await outcome(e2.verifyToken(t, null, opts)),
				   await outcome(() => jwt.verify(t, k.secret, opts)), JSON.stringify(opts));
	}
	const s1 = await e1.stats();

	assert.strictEqual(s1.verifies - s0.verifies, 12, 'every verify reached agauthd');
	assert.strictEqual(s1.cache_hits, s0.cache_hits);
	assert.strictEqual(s1.cache_misses, s0.cache_misses, 'no cache, no misses');
	assert.strictEqual(e1.cacheAttached, false);
	await h.sleep(50);
	const mine = warnings.filter((w) => w.code === 'AGAUTHD_NO_ADDON');

	assert.strictEqual(mine.length, 1, 'warned once for two engines');
	assert.match(mine[0].message, /\/nonexistent\/agauthd\.node/);
	await d.stop();
});

test('AGAUTHD_NO_ADDON=1: left out without a word', async () => {
	const d = await daemon();
	const script = `
		const { AuthEngine } = require(${JSON.stringify(PKG)});
		const e = new AuthEngine({ socketPath: ${JSON.stringify(d.env.sock)} });
		e.signToken({ a: 1 }).then((t) => e.verifyToken(t)).then(async (p) => {
			await new Promise((r) => setTimeout(r, 300));
			console.log(JSON.stringify([p.a, e.cacheAttached]));
			return e.close();
		});`;
	const r = spawnSync(process.execPath, ['-e', script], {
		encoding: 'utf8', timeout: 10000,
		env: { ...process.env, AGAUTHD_ADDON: '', AGAUTHD_NO_ADDON: '1' },
	});

	assert.strictEqual(r.status, 0, r.stderr);
	assert.strictEqual(r.stdout.trim(), '[1,false]');
	assert.strictEqual(r.stderr, '');
	await d.stop();
});
