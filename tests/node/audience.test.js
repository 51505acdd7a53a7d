'use strict';
/*
 * audience.test.js - `audience` with RegExps, which JSON cannot carry to
 * agauthd: checked in the worker, against jsonwebtoken itself, through
 * the daemon (first verify of a token) and the cache (the second), with
 * the checks that come before the audience (exp, nbf) and after it
 * (issuer, subject, jwtid, nonce, maxAge, revocation).
 */
const test = require('node:test');
const assert = require('node:assert');

const jwt = require('jsonwebtoken');

const { daemon, engine, attached, outcome, assertSame, keyOf } = require('./helpers');

let d, e, k;

/* a daemon of its own for each test: one that fails its stop fails the
 * test that used it */
test.beforeEach(async () => {
	d = await daemon();
	e = await attached(engine(d));
	k = keyOf(d);
});

const now = Math.floor(Date.now() / 1000);

const AUDS = [undefined, 'abc', ['x', 'abc'], [], 5, null, ['b', 7], 'undefined'];
/* RegExps without the g or y flag: those keep state between calls */
const OPTIONS = [
	/a/, /^b/, [/x/, 'abc'], ['nope', /c$/], /undefined/, [/^$/], /5/,
	['abc', 'x'], 'abc', [/z/, /y/, 'q'], /null/i,
];
const MORE = [
	{}, { issuer: 'wrong' }, { subject: 's', jwtid: 'j' }, { maxAge: 10 },
	{ complete: true }, { nonce: 'n' }, { clockTimestamp: now + 7200 },
	{ ignoreExpiration: true, issuer: 'i' },
];

let serial = 0;

/* A token the daemon has never seen (a fresh jti-like claim). */
function fresh(aud, extra = {}) {
	const p = { n: ++serial, iss: 'i', iat: now - 100, exp: now + 3600, ...extra };

	if (aud !== undefined)
		p.aud = aud;
	return jwt.sign(p, k.secret, { keyid: k.kid });
}

test('RegExp audiences answer as jsonwebtoken does, from the daemon and the cache', async () => {
	let compared = 0;

	for (const aud of AUDS) {
		for (const audience of OPTIONS) {
			for (const more of MORE) {
				const t = fresh(aud);
				const opts = { ...more, audience };
				const want = await outcome(() => jwt.verify(t, k.secret, opts));

				/* the second time from the cache, if the first succeeded */
				for (const pass of ['first', 'second']) {
					assertSame(await outcome(e.verifyToken(t, null, opts)), want,
						   `${pass}: aud ${JSON.stringify(aud)} audience ${String(audience)} ` +
						   `${JSON.stringify(more)}`);
					compared++;
				}
			}
		}
	}
	assert.strictEqual(compared, AUDS.length * OPTIONS.length * MORE.length * 2);
});

test('a RegExp audience yields to earlier checks, and beats later ones', async () => {
	const cases = [
		[fresh('abc', { exp: now - 5 }), { audience: /x/ }],          /* expired first */
		[fresh('abc', { nbf: now + 99 }), { audience: /x/ }],         /* not active first */
		[fresh('abc'), { audience: /x/, issuer: 'wrong' }],           /* audience first */
		[fresh('abc'), { audience: /a/, issuer: 'wrong' }],           /* then issuer */
		[jwt.sign({ aud: 'abc', n: ++serial }, k.secret, { keyid: k.kid, noTimestamp: true }),
		 { audience: /x/, maxAge: 5 }],                               /* audience before iat */
		[fresh('abc', { iat: now - 50 }), { audience: /x/, maxAge: 5 }],
		[fresh('abc'), { audience: [/x/], nonce: 'n' }],
		[jwt.sign('a string', k.secret, { keyid: k.kid }), { audience: /undefined/ }],
		[jwt.sign('a string', k.secret, { keyid: k.kid }), { audience: /x/, issuer: 'i' }],
	];

	for (const [t, opts] of cases) {
		const want = await outcome(() => jwt.verify(t, k.secret, opts));

		assertSame(await outcome(e.verifyToken(t, null, opts)), want, String(opts.audience));
		assertSame(await outcome(e.verifyToken(t, null, opts)), want, String(opts.audience));
	}
});

test('a revoked token with a RegExp audience that fails: the audience error', async () => {
	const t = fresh('abc', { sub: 'rev' });

	assert.deepStrictEqual(await e.verifyToken(t, null, { audience: /b/ }),
			       jwt.verify(t, k.secret));
	await e.revoke({ token: t });
	const bad = await outcome(e.verifyToken(t, null, { audience: /x/ }));

	assert.strictEqual(bad.error.message, 'jwt audience invalid. expected: /x/');
	const rev = await outcome(e.verifyToken(t, null, { audience: /b/ }));

	assert.strictEqual(rev.error.message, 'jwt revoked');
});
