'use strict';
/*
 * diff.test.js - the differential suite's cases (tests/diff/gen.js)
 * through AuthEngine, against jsonwebtoken.
 *
 * As in tests/diff/daemon.test.js: one daemon per key, frozen at NOW_D
 * under libfaketime, and the same plans (cases agauthd answers otherwise
 * on purpose are asserted as such, the others compared).  The engine's
 * process is frozen at NOW_D too (frozen.js: this file runs itself again
 * under libfaketime), since the cache answers by this process's clock.
 *
 * Every case goes through signToken or verifyToken as SocketCluster
 * calls them: payload and options as objects (JSON.parse of the case's
 * text, as jsonwebtoken gets them), the key ignored.  Verify cases run
 * twice: first mostly from agauthd (misses), then again, when the first
 * verified the token, from the cache; both must equal jsonwebtoken's
 * outcome.
 */
if (require('./frozen').rerun(__filename))
	return;

const test = require('node:test');
const assert = require('node:assert');

const { SHOW, headerAlg, report } = require('../diff/common');
const {
	NOW_D, NOW_MS, startDaemon, planAll, crossOf, disagreement, Tally,
} = require('../diff/plans');
const { h, agauthd, outcome } = require('./helpers');

const { plans: PLANS, keys: KEYS } = planAll();
const daemons = new Map();      /* key id -> {d, e, key} */
const TOTAL = new Tally();

test.before(async () => {
	assert.strictEqual(Date.now(), NOW_MS, 'this process runs on the frozen clock');
	const started = await Promise.all([...KEYS.values()].map(startDaemon));

	for (const s of started) {
		s.e = new agauthd.AuthEngine({ socketPath: s.sock, timeout: 120000 });
		daemons.set(s.key.id, s);
	}
	for (const s of started)
		await h.within(h.waitFor(() => s.e.cacheAttached, { what: 'the cache' }),
			       20000, `${s.key.label}: the cache attached`);
});

test.after(async () => {
	const errors = [];

	for (const s of daemons.values()) {
		try {
			await s.e.close();
			await s.d.stop();
		} catch (e) {
			errors.push(`${s.key.label}: ${e.message}`);
		}
	}
	assert.deepStrictEqual(errors, [], 'daemons stopped cleanly');
});

test('the engine and agauthd share the frozen clock', async () => {
	const s = daemons.get('hs:secret');
	const t = await s.e.signToken({ a: 1 });

	assert.strictEqual(JSON.parse(Buffer.from(t.split('.')[1], 'base64url')).iat, NOW_D);
	assert.deepStrictEqual(await s.e.verifyToken(t, null, { maxAge: 1 }), { a: 1, iat: NOW_D });
});

/* The engine's outcome of case c. */
function run(e, c) {
	return c.op === 'sign' ?
		outcome(() => e.signToken(JSON.parse(c.payload), null, JSON.parse(c.options))) :
		outcome(() => e.verifyToken(c.token, null, JSON.parse(c.options)));
}

/* What agauthd answers on purpose: an error of this name and message
 * (the rebuilt error carries no code), or the plan's own predicate. */
function expected(got, e) {
	const r = got.ok ? { ok: true } : { ok: false, name: got.error.name, message: got.error.message };

	if (typeof e === 'function')
		return e(r);
	return r.ok === false && r.name === e.name && r.message === e.message;
}

let fromCache = 0;

for (const name of Object.keys(PLANS)) {
	test(`${name} (AuthEngine)`, async (t) => {
		const tally = new Tally();
		const bad = [];
		const runs = [];

		for (const p of PLANS[name]) {
			if (p.mode === 'skip') {
				tally.excluded('(no daemon)', p.reason);
				continue;
			}
			const { e } = daemons.get(p.k.id);
			const r = { p, e, got: run(e, p.c) };

			if ((p.mode === 'compare' || p.mode === 'default') && p.c.op === 'sign' &&
			    p.js.ok && /^(RS|PS|ES)/.test(headerAlg(p.js.value))) {
				r.cross = crossOf(p);
				r.crossGot = run(e, r.cross);
			}
			runs.push(r);
		}
		const check = async (r, pass) => {
			const { p } = r;
			const got = await r.got;
			const fail = (why, detail) =>
				bad.push({ c: p.c, js: p.js, eng: got, why: `${pass}: ${why}`, detail,
					   reply: null });

			if (p.mode === 'expect') {
				if (!expected(got, p.expect))
					fail('expected ' + (typeof p.expect === 'function' ?
							    p.expect.toString() : JSON.stringify(p.expect)));
				return;
			}
			const d = disagreement(p, got, r.crossGot && await r.crossGot);

			if (d)
				fail(d.why, d.detail);
		};

		for (const r of runs) {
			await check(r, 'first');
			if (r.p.mode === 'expect' || r.p.mode === 'default')
				tally.excluded(r.p.k.label, r.p.reason);
			else
				tally.compared(r.p.k.label);
		}
		/* verify cases again: those agauthd verified are cached now */
		const before = await hits();
		const again = runs.filter((r) => r.p.c.op === 'verify')
			.map((r) => ({ ...r, got: run(r.e, r.p.c), crossGot: undefined }));

		for (const r of again)
			await check(r, 'again');
		const n = (await hits()) - before;
		let verified = 0;

		for (const r of again)
			verified += (await r.got).ok;
		fromCache += n;
		for (const line of tally.lines())
			t.diagnostic(line);
		t.diagnostic(`${again.length} verify cases run twice; ${n} of the second runs ` +
			     `answered from the cache; ${verified} verified`);
		TOTAL.add(tally);
		if (bad.length > 0)
			assert.fail(`${bad.length} cases disagree; the first ` +
				    `${Math.min(SHOW, bad.length)}:\n` + report(bad, 'AuthEngine'));
	});
}

/* cache hits every daemon has counted (stats carries the engines' own) */
async function hits() {
	let n = 0;

	for (const s of daemons.values())
		n += (await s.e.stats()).cache_hits;
	return n;
}

test('per key, all categories (AuthEngine)', (t) => {
	for (const line of TOTAL.lines())
		t.diagnostic(line);
	t.diagnostic(`${fromCache} verifications answered from the cache`);
	assert.ok(fromCache > 0, 'no case was answered from the cache');
});
