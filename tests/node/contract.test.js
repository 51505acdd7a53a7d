'use strict';
/*
 * contract.test.js - AuthEngine keeps ag-auth 2.1's contract, compared
 * with ag-auth and jsonwebtoken themselves: the key is ignored,
 * options.socket dropped, mutatePayload, missing and non-string tokens,
 * jsonwebtoken's errors with their Dates, complete: true, and where the
 * socket path comes from.
 */
const test = require('node:test');
const assert = require('node:assert');

const jwt = require('jsonwebtoken');
const AgAuth = require('ag-auth');

const { h, agauthd, daemon, engine, attached, outcome, assertSame, keyOf } = require('./helpers');

const T = Math.floor(Date.now() / 1000);   /* an iat given: no second boundary to race */

let d, e, k, ag;

/* a daemon of its own for each test: one that fails its stop fails the
 * test that used it */
test.beforeEach(async () => {
	d = await daemon();
	e = await attached(engine(d));
	k = keyOf(d);
	ag = new AgAuth();
});

/* jsonwebtoken's token for what the daemon signs (its kid) */
function jsToken(payload, opts = {}) {
	return jwt.sign(payload, k.secret, { keyid: k.kid, ...opts });
}

test('the key is ignored and the token is jsonwebtoken\'s, byte for byte', async () => {
	for (const key of [undefined, null, 'not the key', Buffer.from('x')]) {
		const p = { u: 1, name: 'ü "quoted"\n', n: [1.5, -0, 1e21], iat: T };

		assert.strictEqual(await e.signToken(p, key, { expiresIn: '1h', subject: 's' }),
				   jsToken(p, { expiresIn: '1h', subject: 's' }));
		assert.deepStrictEqual(await e.verifyToken(jsToken(p), key), jwt.verify(jsToken(p), k.secret));
	}
	/* a string payload, and sign errors as jsonwebtoken throws them */
	assert.strictEqual(await e.signToken('hello', 'k', {}), jsToken('hello'));
	for (const [p, o] of [[{ exp: 5 }, { expiresIn: 60 }], [{ a: 1 }, { foo: 1 }],
			      [{ iat: 'x' }, {}], [null, {}], [[1], {}], [undefined, {}],
			      ['s', { expiresIn: 60 }], [{ a: 1 }, { expiresIn: 'soon' }],
			      [new Date(0), {}]]) {
		const want = await outcome(() => ag.signToken(p, k.secret, { keyid: k.kid, ...o }));

		assertSame(await outcome(() => e.signToken(p, null, o)), want,
			   `sign ${JSON.stringify(p)} ${JSON.stringify(o)}`);
	}
});

test('options.socket is dropped, from a copy', async () => {
	const socket = { id: 'sock' };

	socket.self = socket;              /* JSON cannot hold it */
	const so = { expiresIn: 60, socket };
	const t = await e.signToken({ u: 1, iat: T }, null, so);

	assert.strictEqual(t, jsToken({ u: 1, iat: T }, { expiresIn: 60 }));
	assert.strictEqual(so.socket, socket);
	const vo = { algorithms: ['HS256'], socket };

	assert.deepStrictEqual(await e.verifyToken(t, null, vo), { u: 1, iat: T, exp: T + 60 });
	assert.strictEqual(vo.socket, socket);
});

test('the same options object again, changed in place: each verify sees what it holds', async () => {
	const t = jsToken({ u: 1, iat: T, iss: 'me', aud: ['a', 'b'] });
	const algorithms = ['HS256'];
	const o = { algorithms, issuer: 'me' };
	const steps = [
		() => {},
		() => { algorithms[0] = 'RS256'; },             /* an array changed in place */
		() => { algorithms[0] = 'HS256'; },
		() => { algorithms.push('ES256'); },
		() => { o.issuer = 'you'; },                     /* a member changed */
		() => { o.issuer = 'me'; },
		() => { o.audience = 'c'; },                     /* a member added */
		() => { o.audience = /^b$/; },                   /* a RegExp, then an array with one */
		() => { o.audience = ['c', /^a/]; },
		() => { delete o.audience; o.clockTimestamp = T + 3600 * 24 * 400; },
		() => { o.clockTimestamp = NaN; },
		() => { o.clockTimestamp = undefined; o.complete = true; },
		() => { delete o.issuer; o.issuer = 'me'; },     /* the same members in another order */
	];

	for (const [i, step] of steps.entries()) {
		step();
		for (let n = 0; n < 2; n++) {
			const want = await outcome(() => jwt.verify(t, k.secret, { ...o }));

			assertSame(await outcome(() => e.verifyToken(t, null, o)), want, `step ${i}, ${n}`);
		}
	}
});

test('mutatePayload: the caller\'s object gains the claims in place', async () => {
	const cases = [
		[{ u: 1 }, { expiresIn: 60 }],
		[{ u: 1, iat: T }, { expiresIn: '2h', notBefore: 0, audience: ['a', 'b'], issuer: 'i',
				     subject: 's', jwtid: 'j' }],
		[{ iat: 0, u: 1 }, { expiresIn: 60 }],
		[{ u: 1, iat: T }, { noTimestamp: true, expiresIn: 60 }],
		[{ u: 1, exp: T + 5 }, {}],
	];

	for (const [p, o] of cases) {
		let mine, theirs;

		/* both at the same second: once more if a second passed */
		for (let i = 0; i < 3; i++) {
			mine = structuredClone(p);
			theirs = structuredClone(p);
			await e.signToken(mine, null, { ...o, mutatePayload: true });
			jwt.sign(theirs, k.secret, { keyid: k.kid, ...o, mutatePayload: true });
			if (mine.iat === theirs.iat)
				break;
		}
		assert.deepStrictEqual(Object.entries(mine), Object.entries(theirs),
				       `mutatePayload with ${JSON.stringify(o)}`);
	}
	/* without it the object stays as it was */
	const p = { u: 1 };

	await e.signToken(p, null, { expiresIn: 60 });
	assert.deepStrictEqual(p, { u: 1 });
	await e.signToken(p, null, { expiresIn: 60, mutatePayload: false });
	assert.deepStrictEqual(p, { u: 1 });
});

test('missing and non-string tokens, as ag-auth rejects them', async () => {
	const tokens = [null, undefined, '', 0, 5, NaN, false, true, {}, [], ['a.b.c'],
			Buffer.from('a.b.c'), () => 'x', Symbol('t'), 10n];

	for (const tok of tokens) {
		for (const opts of [undefined, {}, { clockTimestamp: 'x' }, { nonce: '' }]) {
			assertSame(await outcome(() => e.verifyToken(tok, null, opts)),
				   await outcome(() => ag.verifyToken(tok, k.secret, opts)),
				   `verify ${String(tok)} ${JSON.stringify(opts)}`);
		}
	}
	const r = await outcome(e.verifyToken(5));

	assert.ok(r.error instanceof agauthd.InvalidArgumentsError);
	assert.ok((await outcome(e.verifyToken(null))).error instanceof agauthd.JsonWebTokenError);
});

/* A token the daemon has cached (verified once), and one it has not. */
async function tokens(payload) {
	const cached = jsToken({ ...payload, c: 1 });

	await e.verifyToken(cached, null, { ignoreExpiration: true, ignoreNotBefore: true });
	return { cached, fresh: jsToken({ ...payload, c: 2 }) };
}

test('errors are jsonwebtoken\'s: classes, messages, Dates (cache and daemon)', async () => {
	const now = Math.floor(Date.now() / 1000);
	const cases = [
		[{ exp: now - 10, iat: now - 100 }, {}],
		[{ exp: now - 10 }, { clockTolerance: 5 }],
		[{ exp: now + 1000 }, { clockTimestamp: now + 2000 }],
		[{ nbf: now + 1000 }, {}],
		[{ nbf: now + 0.5, exp: now + 99.25 }, { clockTimestamp: now + 100 }],
		[{ iat: now - 1000 }, { maxAge: '10s' }],
		[{ iat: now - 1000 }, { maxAge: 10, clockTimestamp: now }],
		[{ a: 1 }, { maxAge: 10 }],
		[{ aud: 'x' }, { audience: 'y' }],
		[{ aud: ['x', 'y'] }, { audience: ['z', 'y'] }],
		[{ iss: 'x' }, { issuer: ['a', 'b'] }],
		[{ sub: 'x' }, { subject: 'y', jwtid: 'j' }],
		[{ a: 1 }, { algorithms: ['RS256', 'ES256'] }],
		[{ a: 1 }, { algorithms: 'HS256' }],
		[{ a: 1 }, { nonce: 'n' }],
		[{ a: 1 }, { clockTimestamp: '5' }],
	];

	for (const [payload, opts] of cases) {
		const { cached, fresh } = await tokens(payload);

		for (const [what, t] of [['cache', cached], ['daemon', fresh]]) {
			const got = await outcome(e.verifyToken(t, null, opts));

			assertSame(got, await outcome(() => ag.verifyToken(t, k.secret, opts)),
				   `${what}: ${JSON.stringify(payload)} ${JSON.stringify(opts)}`);
			for (const key of ['expiredAt', 'date'])
				if (!got.ok && key in got.error)
					assert.ok(got.error[key] instanceof Date);
		}
	}
	const exp = await outcome(e.verifyToken(jsToken({ exp: now - 10 })));

	assert.ok(exp.error instanceof agauthd.TokenExpiredError);
	assert.ok(exp.error instanceof agauthd.JsonWebTokenError);
	assert.strictEqual(exp.error.expiredAt.getTime(), (now - 10) * 1000);
	/* tokens that are not tokens, or not agauthd's */
	for (const t of ['a.b', 'a.b.c', jsToken({ a: 1 }).slice(0, -2) + 'xx',
			 jwt.sign({ a: 1 }, 'another secret'), 'x'.repeat(20000)]) {
		const got = await outcome(e.verifyToken(t));

		if (t.length > 16384)
			assert.strictEqual(got.error.message, 'jwt too large');
		else
			assertSame(got, await outcome(() => ag.verifyToken(t, k.secret)), t);
	}
});

test('complete: true gives {header, payload, signature} (cache and daemon)', async () => {
	const { cached, fresh } = await tokens({ u: 'ü', n: null });

	for (const t of [cached, fresh, cached]) {
		for (const opts of [{ complete: true }, { complete: true, algorithms: ['HS256'] },
				    { complete: 1 }]) {
			assertSame(await outcome(e.verifyToken(t, null, opts)),
				   await outcome(() => ag.verifyToken(t, k.secret, opts)),
				   JSON.stringify(opts));
		}
	}
	const str = jsToken('a string payload');

	assertSame(await outcome(e.verifyToken(str, null, { complete: true })),
		   await outcome(() => ag.verifyToken(str, k.secret, { complete: true })), 'string');
});

test('socketPath: the option, else $AGAUTHD_SOCKET, else /run/agauthd/agauthd.sock', async () => {
	const saved = process.env.AGAUTHD_SOCKET;

	try {
		delete process.env.AGAUTHD_SOCKET;
		assert.strictEqual(agauthd.defaultSocketPath(), '/run/agauthd/agauthd.sock');
		assert.strictEqual(agauthd.DEFAULT_SOCKET_PATH, '/run/agauthd/agauthd.sock');
		assert.strictEqual(agauthd.SOCKET_ENV, 'AGAUTHD_SOCKET');
		const none = new agauthd.AuthEngine({ timeout: 2000 });

		assert.strictEqual(none.socketPath, '/run/agauthd/agauthd.sock');
		await none.close();
		process.env.AGAUTHD_SOCKET = d.env.sock;
		const fromEnv = new agauthd.AuthEngine();

		assert.strictEqual(fromEnv.socketPath, d.env.sock);
		assert.match(await fromEnv.signToken({ a: 1 }), /^ey/);
		await fromEnv.close();
		const explicit = new agauthd.AuthEngine({ socketPath: '/nonexistent/x.sock' });

		assert.strictEqual(explicit.socketPath, '/nonexistent/x.sock');
		await explicit.close();
	} finally {
		if (saved === undefined)
			delete process.env.AGAUTHD_SOCKET;
		else
			process.env.AGAUTHD_SOCKET = saved;
	}
});

test('engine and watcher close cleanly, and stay closed', async () => {
	const e2 = engine(d);

	await e2.signToken({ a: 1 });
	e2.watch();
	await e2.close();
	await e2.close();
	const r = await outcome(e2.verifyToken('a.b.c'));

	assert.strictEqual(r.error.name, 'AgauthError');
	assert.strictEqual(r.error.code, 'AG_E_DISCONNECTED');
	assert.throws(() => e2.watch(), /after close/);
	h.ok(await (await d.client()).call('ping'));
});
