'use strict';
/*
 * cache.test.js - verifications answered from agauthd's cache in the
 * worker: no request reaches the daemon, hits and misses show in its
 * stats (on the next request, or by the engine's own ping), every result
 * is a fresh object, refusals come from the cache too, and revocation
 * empties it at once.
 */
const test = require('node:test');
const assert = require('node:assert');
const crypto = require('node:crypto');
const fs = require('node:fs');

const jwt = require('jsonwebtoken');

const { h, daemon, engine, attached, outcome, keyOf } = require('./helpers');

let d, admin;

/* a daemon of its own for each test: one that fails its stop fails the
 * test that used it */
test.beforeEach(async () => {
	d = await daemon();
	admin = await d.client();
});

async function stats() {
	return h.ok(await admin.call('stats'), 'stats');
}

test('hits need no request, and agauthd counts them (next request, or a ping)', async () => {
	const e = await attached(engine(d, { reportInterval: 100 }));
	const t = await e.signToken({ u: 1 });
	const s0 = await stats();

	for (let i = 0; i < 100; i++)
		assert.strictEqual((await e.verifyToken(t, null, { algorithms: ['HS256'] })).u, 1);
	const miss = await e.signToken({ u: 2 }, null, { noTimestamp: true });
	const s1 = await stats();

	assert.strictEqual(s1.verifies, s0.verifies, 'no verify reached agauthd');
	assert.strictEqual(s1.cache_hits - s0.cache_hits, 100, 'the sign carried the hits');
	/* hits alone: the engine's ping reports them */
	for (let i = 0; i < 7; i++)
		await e.verifyToken(t);
	const s2 = await h.waitFor(async () => {
		const s = await stats();

		return s.cache_hits - s1.cache_hits === 7 && s;
	}, { what: 'the hits reported by a ping' });

	assert.strictEqual(s2.verifies, s1.verifies);
	/* a token the daemon has not seen is a miss, sent and counted */
	const other = miss.replace(/\.[^.]+$/, '.AAAA');

	assert.strictEqual((await outcome(e.verifyToken(other))).error.message, 'invalid signature');
	const s3 = await stats();

	assert.strictEqual(s3.verifies, s2.verifies + 1);
	assert.strictEqual(s3.cache_misses, s2.cache_misses + 1);
	/* and the engine's own stats() carries what it counted */
	await e.verifyToken(t);
	const s4 = await e.stats();

	assert.strictEqual(s4.cache_hits, s3.cache_hits + 1);
});

test('a hit is a fresh object every time', async () => {
	const e = await attached(engine(d));
	const t = await e.signToken({ u: { deep: [1, 2] } });
	const a = await e.verifyToken(t);

	a.u.deep.push(3);
	a.extra = true;
	const b = await e.verifyToken(t);

	assert.notStrictEqual(a, b);
	assert.deepStrictEqual(b.u, { deep: [1, 2] });
	assert.strictEqual(b.extra, undefined);
	const c1 = await e.verifyToken(t, null, { complete: true });

	c1.header.alg = 'none';
	c1.payload.u = null;
	const c2 = await e.verifyToken(t, null, { complete: true });

	assert.strictEqual(c2.header.alg, 'HS256');
	assert.deepStrictEqual(c2.payload.u, { deep: [1, 2] });
});

/* v as layout a caller could observe: every object's prototype, own
 * keys in order, and their values (-0 as such) */
function layout(v) {
	if (typeof v !== 'object' || v === null)
		return Object.is(v, -0) ? '-0' : v;
	const keys = Reflect.ownKeys(v);

	return {
		proto: Object.getPrototypeOf(v) === (Array.isArray(v) ? Array.prototype : Object.prototype),
		keys,
		values: keys.map((k) => layout(Object.getOwnPropertyDescriptor(v, k).value)),
	};
}

test('hits again and again: each a fresh copy of what JSON.parse makes of the payload', async () => {
	const e = await attached(engine(d));
	const { secret, kid } = keyOf(d);
	const head = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT', kid })).toString('base64url');
	const token = (text) => {
		const body = Buffer.from(text).toString('base64url');

		return `${head}.${body}.${crypto.createHmac('sha256', secret)
			.update(`${head}.${body}`).digest('base64url')}`;
	};
	const texts = [
		'{"u":{"deep":[1,2,{"x":null}]},"n":-0,"f":1.5e300,"s":"é😀\\u0000","t":true,"2":"two","1":"one","e":{},"a":[]}',
		'{"a":1,"b":2,"a":3}',
		'{"__proto__":{"x":1},"y":2}',
		'{"o":{"__proto__":[1]}}',
		`{"d":${'['.repeat(30)}1${']'.repeat(30)},"o":${'{"k":'.repeat(30)}1${'}'.repeat(30)}}`,
	];

	for (const text of texts) {
		const t = token(text);
		const want = jwt.verify(t, secret);

		await e.verifyToken(t);                 /* agauthd's; now cached */
		const before = await stats();
		const got = [];

		for (let i = 0; i < 4; i++) {
			const v = await e.verifyToken(t);

			assert.deepStrictEqual(layout(v), layout(want), text);
			assert.ok(got.every((g) => g !== v), 'a fresh object');
			got.push(v);
			v.added = i;                    /* the next hit must not see it */
			if (Array.isArray(v.u?.deep))
				v.u.deep.push(i);
		}
		const after = await stats();

		assert.strictEqual(after.verifies, before.verifies, `${text}: all hits`);
	}
	/* an enumerable member on Object.prototype: still no own copy of it */
	const t = token(texts[0]);

	Object.prototype.polluted = 1;
	try {
		for (let i = 0; i < 2; i++)
			assert.deepStrictEqual(layout(await e.verifyToken(t)), layout(jwt.verify(t, secret)));
	} finally {
		delete Object.prototype.polluted;
	}
});

test('refusals by the caller\'s options come from the cache', async () => {
	const e = await attached(engine(d));
	const t = await e.signToken({ u: 1, aud: 'a' }, null, { expiresIn: 60 });
	const s0 = await stats();
	const refusals = [
		[{ algorithms: ['RS256'] }, 'JsonWebTokenError', 'invalid algorithm'],
		[{ audience: 'b' }, 'JsonWebTokenError', 'jwt audience invalid. expected: b'],
		[{ clockTimestamp: Math.floor(Date.now() / 1000) + 61 }, 'TokenExpiredError', 'jwt expired'],
		[{ maxAge: '1ms', clockTimestamp: Math.floor(Date.now() / 1000) + 2 },
		 'TokenExpiredError', 'maxAge exceeded'],
	];

	for (const [opts, name, message] of refusals) {
		const r = await outcome(e.verifyToken(t, null, opts));

		assert.strictEqual(r.error.name, name);
		assert.strictEqual(r.error.message, message);
	}
	const s1 = await e.stats();

	assert.strictEqual(s1.verifies, s0.verifies, 'agauthd was not asked');
	assert.strictEqual(s1.cache_hits - s0.cache_hits, refusals.length);
});

test('a revoked token is refused at once, cache or not: by subject, jti and token', async () => {
	const e = await attached(engine(d));

	for (const kind of ['sub', 'jti', 'token']) {
		const t = await e.signToken({ sub: `mallory-${kind}`, jti: `j-${kind}` });
		const what = { sub: `mallory-${kind}`, jti: `j-${kind}`, token: t }[kind];
		const s0 = await e.stats();

		assert.strictEqual((await e.verifyToken(t)).sub, `mallory-${kind}`);
		assert.strictEqual((await e.stats()).cache_hits, s0.cache_hits + 1, `${kind}: a hit before`);
		const r = await e.revoke({ [kind]: what });

		assert.strictEqual(r.purged, 1, `${kind}: ${JSON.stringify(r)}`);
		assert.ok(r.at instanceof Date);
		const v = await outcome(e.verifyToken(t));

		assert.strictEqual(v.error && v.error.name, 'JsonWebTokenError', `${kind}: ${JSON.stringify(v)}`);
		assert.strictEqual(v.error.message, 'jwt revoked');
	}
});

/* A cached token with one character changed - in its header, its
 * payload, its signature - is a different token: never a hit, and the
 * daemon refuses it.  The token itself still hits. */
test('a cached token with one byte changed is never a hit, and is refused', async () => {
	const e = await attached(engine(d));
	const t = await e.signToken({ sub: 'eve', admin: false });
	const [hd, pl, sig] = t.split('.');
	const flip = (s, i) => s.slice(0, i) + (s[i] === 'A' ? 'B' : 'A') + s.slice(i + 1);
	const forged = [
		`${flip(hd, 0)}.${pl}.${sig}`,
		`${hd}.${flip(pl, pl.length >> 1)}.${sig}`,
		`${hd}.${pl}.${flip(sig, sig.length >> 1)}`,
		`${hd}.${pl}.${flip(sig, sig.length - 1)}`,
	];

	assert.strictEqual((await e.verifyToken(t)).sub, 'eve');
	const s0 = await e.stats();

	for (const f of forged) {
		const r = await outcome(e.verifyToken(f));

		assert.strictEqual(r.ok, false, `accepted ${f}: ${JSON.stringify(r.value)}`);
	}
	const s1 = await e.stats();

	assert.strictEqual(s1.verifies - s0.verifies, forged.length, 'each forgery was the daemon\'s to answer');
	assert.strictEqual(s1.cache_hits, s0.cache_hits, 'a forgery was a hit');
	assert.strictEqual((await e.verifyToken(t)).sub, 'eve');
});

/* The engine keeps the payloads of tokens that hit, one per place of a
 * table chosen by a token's last characters: hundreds of tokens share
 * places, and each hit must still be its own token's payload. */
test('hits of many tokens: each its own payload, whatever it shares a place with', async () => {
	const e = await attached(engine(d));
	const tokens = [];

	for (let n = 0; n < 400; n++)
		tokens.push(await e.signToken({ n }));
	for (let round = 0; round < 2; round++) {
		for (const [n, t] of tokens.entries())
			assert.strictEqual((await e.verifyToken(t)).n, n, `round ${round}: token ${n}`);
	}
});

/* A key that leaves the keyring, and a verify key retired by a reload,
 * take their entries with them: their tokens stop hitting at once. */
test('a reload that removes a key or retires one: its tokens are no longer hits (retire)', async () => {
	const d2 = await daemon({ keys: [
		{ name: 'hs1', type: 'hs256', state: 'primary' },
		{ name: 'hs2', type: 'hs256', state: 'verify' },
		{ name: 'hs3', type: 'hs256', state: 'verify' },
	] });
	const e = await attached(engine(d2));
	const tokens = ['hs2', 'hs3'].map((name) => jwt.sign({ sub: name }, keyOf(d2, name).secret,
							     { keyid: name, expiresIn: '1h' }));

	for (const t of tokens)
		await e.verifyToken(t);         /* agauthd's; now cached */
	const s0 = await e.stats();

	for (const t of tokens)
		await e.verifyToken(t);
	assert.strictEqual((await e.stats()).cache_hits, s0.cache_hits + 2, 'hits before the reload');

	fs.writeFileSync(d2.env.keyring, h.keyringText([
		{ name: 'hs1', file: 'keys/hs1.key', encoding: 'base64', algorithm: 'HS256', state: 'primary' },
		{ name: 'hs2', file: 'keys/hs2.key', encoding: 'base64', algorithm: 'HS256', state: 'verify',
		  retire: String(Math.floor(Date.now() / 1000) - 10) },
	]));
	const admin = await d2.client();

	h.ok(await admin.call('reload'), 'reload');
	const s1 = await e.stats();

	for (const t of tokens) {
		const r = await outcome(e.verifyToken(t));

		assert.strictEqual(r.ok, false, `${jwt.decode(t).sub}'s token after the reload: ${JSON.stringify(r.value)}`);
		assert.strictEqual(r.error.message, 'invalid signature');
	}
	const s2 = await e.stats();

	assert.strictEqual(s2.cache_hits, s1.cache_hits, 'a token of a removed or retired key hit');
	await d2.stop();
});

test('a daemon that stalls: its cache goes stale, and comes back with it', async () => {
	const d2 = await daemon();
	const e = await attached(engine(d2, { timeout: 500 }));
	const t = await e.signToken({ u: 3 });

	assert.strictEqual((await e.verifyToken(t)).u, 3);
	d2.signal('SIGSTOP');
	/* the heartbeat stops: within 2 s the cache may no longer answer */
	await h.sleep(2300);
	const r = await outcome(e.verifyToken(t));

	assert.strictEqual(r.error.code, 'AG_E_DISCONNECTED', 'asked the stalled daemon');
	d2.signal('SIGCONT');
	await h.waitFor(async () => e.cacheAttached &&
			(await outcome(e.verifyToken(t))).ok, { what: 'verifies again' });
	const s0 = await e.stats();

	assert.strictEqual((await e.verifyToken(t)).u, 3);
	const s1 = await e.stats();

	assert.strictEqual(s1.verifies, s0.verifies, 'from the cache again');
	await d2.stop();
});

test('agauthd with its cache off: every verify asks it, nothing counts as a miss', async () => {
	const d0 = await daemon({ conf: { cache: { size: 0 } } });
	const e = engine(d0);
	const t = await e.signToken({ u: 4 });
	const s0 = await e.stats();

	for (let i = 0; i < 3; i++)
		assert.strictEqual((await e.verifyToken(t)).u, 4);
	const s1 = await e.stats();

	assert.strictEqual(s1.verifies - s0.verifies, 3);
	assert.strictEqual(s1.cache_misses, 0);
	assert.strictEqual(e.cacheAttached, false);
	await d0.stop();
});
