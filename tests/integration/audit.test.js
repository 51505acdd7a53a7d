'use strict';
/*
 * The audit trail (daemon/audit.h): sign, revoke, rotate and reload at
 * info with the peer (uid, pid), the kid, the subject and the jti;
 * refused verifies at debug with the reason, rate-limited.  "Why was
 * this user logged out?" is a grep of the log for the user's sub: the
 * revocation, who made it, and the refusals after it.  Nowhere in the
 * log a token, a signature or a key byte - not even for revoke --token,
 * nor for a subject made to look like a line of its own.
 */
const test = require('node:test');
const assert = require('node:assert');
const { spawnSync } = require('node:child_process');

const jwt = require('jsonwebtoken');

const h = require('./harness');

/* agauthctl ARGS on env's socket, which must succeed; its pid. */
function ctl(env, args, input = '') {
	const r = spawnSync(h.AGAUTHCTL, ['--socket', env.sock, ...args],
			    { input, encoding: 'utf8', timeout: h.slow(20000) });
	assert.strictEqual(r.status, 0, `agauthctl ${args[0]}: ${r.stderr}`);
	return r.pid;
}

/* The audit lines of the log, without their time stamps. */
function audit(d) {
	return d.stderr.split('\n').filter((l) => / audit: /.test(l)).map((l) => l.replace(/^.* audit: /, ''));
}

const esc = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

test('why was this user logged out: the revocation, who made it and the refusals after it; no token in the log', { timeout: h.TEST_TIMEOUT }, async (t) => {
	const env = h.setup({
		keys: [{ name: 'hs1', type: 'hs256', state: 'primary' }],
		conf: { daemon: { log_level: 'debug' }, access: { admin: '*' } },
	});
	const d = await h.Daemon.start(env);
	t.after(() => d.cleanup());
	const c = await d.client();
	const me = `uid=${process.getuid()} pid=${process.pid}`;
	const tokens = [];
	const sign = async (payload, opts) => {
		const r = h.ok(await c.call('sign', { payload: JSON.stringify(payload), opts: JSON.stringify(opts) }));
		tokens.push(r.token);
		return r.token;
	};

	const alice = await sign({ sub: 'alice', role: 'x' }, { jwtid: 'j-1', expiresIn: 600 });
	const bob = await sign({ name: 'bob' }, { subject: 'bob' });
	/* a subject that would forge a line of its own if written raw */
	const eve = await sign({ sub: 'eve"\naudit: revoke subject uid=0 pid=1 sub="alice"' }, {});
	h.ok(await c.call('verify', { token: alice }));
	const expired = jwt.sign({ sub: 'alice', exp: 1700000000 }, env.keys.hs1.secret, { keyid: 'hs1' });
	tokens.push(expired);

	const revoker = ctl(env, ['revoke', '--sub', 'alice']);
	h.fails(await c.call('verify', { token: alice }), 'AG_E_REVOKED');
	h.fails(await c.call('verify', { token: expired }), 'AG_E_EXPIRED');
	ctl(env, ['revoke', '--token', '-'], bob);
	h.fails(await c.call('verify', { token: bob }), 'AG_E_REVOKED');
	const rotated = h.ok(await c.call('rotate')).kid;
	const reloaded = h.ok(await c.call('reload')).generation;
	tokens.push(await sign({ sub: 'carol' }, {}));
	h.ok(await c.call('verify', { token: eve }));

	await h.waitFor(() => audit(d).some((l) => l.includes('sub="carol"')), { what: 'the last audit line' });
	const lines = audit(d);
	const want = [
		`sign ${me} kid="hs1" sub="alice" jti="j-1"`,
		`sign ${me} kid="hs1" sub="bob" jti=-`,
		`sign ${me} kid="hs1" sub="eve\\"\\naudit: revoke subject uid=0 pid=1 sub=\\"alice\\"" jti=-`,
		`revoke subject uid=0 pid=${revoker} sub="alice" purged=1`,
		`verify refused ${me} kid="hs1" sub="alice" jti="j-1": jwt revoked`,
		`verify refused ${me} kid="hs1" sub="alice" jti=-: jwt expired`,
		new RegExp(`^revoke token uid=0 pid=\\d+ kid="hs1" sub="bob" jti=- purged=\\d+$`),
		`verify refused ${me} kid="hs1" sub="bob" jti=-: jwt revoked`,
		`rotate ${me} kid="${rotated}"`,
		`reload ${me} generation=${reloaded}`,
		`sign ${me} kid="${rotated}" sub="carol" jti=-`,
	];
	assert.strictEqual(lines.length, want.length, lines.join('\n'));
	want.forEach((w, i) => {
		if (w instanceof RegExp)
			assert.match(lines[i], w);
		else
			assert.strictEqual(lines[i], w);
	});

	/* the question, as an operator asks it of the log */
	const asked = lines.filter((l) => l.includes('sub="alice"'));
	assert.deepStrictEqual(asked.map((l) => l.split(' ').slice(0, 2).join(' ')),
			       ['sign uid=0', 'revoke subject', 'verify refused', 'verify refused']);
	assert.ok(!d.stderr.split('\n').some((l) => /^audit: /.test(l)), 'a subject forged a line');

	/* nothing in the log presents as a credential: no token, no
	 * signature, no key, however encoded */
	const secret = env.keys.hs1.secret;
	for (const tok of tokens) {
		const sig = tok.split('.')[2];
		assert.ok(!d.stderr.includes(tok), 'a token in the log');
		assert.ok(!d.stderr.includes(sig), `a signature in the log: ${sig}`);
		assert.ok(!d.stderr.includes(tok.slice(0, tok.lastIndexOf('.'))), 'a signing input in the log');
	}
	for (const enc of ['base64', 'base64url', 'hex'])
		assert.ok(!d.stderr.includes(secret.toString(enc)), `the key in the log (${enc})`);
	await d.stop();
});

test('refused verifies: at debug only, rate-limited; the audit trail of signs at info', { timeout: h.TEST_TIMEOUT }, async (t) => {
	for (const level of ['info', 'debug']) {
		const env = h.setup({ conf: { daemon: { log_level: level } } });
		const d = await h.Daemon.start(env);
		t.after(() => d.cleanup());
		const c = await d.client();
		h.ok(await c.call('sign', { payload: '{"sub":"dave"}' }));
		const bad = jwt.sign({ sub: 'mallory' }, 'not the key');
		await Promise.all(Array.from({ length: 100 }, () => c.call('verify', { token: bad })));
		h.ok(await c.call('ping'));
		const refused = audit(d).filter((l) => l.startsWith('verify refused'));
		assert.match(d.stderr, /audit: sign uid=\d+ pid=\d+ kid="hs1" sub="dave" jti=-\n/, level);
		if (level === 'info') {
			assert.deepStrictEqual(refused, [], 'refusals at info');
		} else {
			assert.ok(refused.length >= 1 && refused.length <= 10, `${refused.length} refusals logged`);
			assert.match(refused[0], /^verify refused uid=\d+ pid=\d+ kid=- sub="mallory" jti=-: invalid signature$/);
			/* what was held back is told once the second is over */
			await h.sleep(1100);
			h.ok(await c.call('verify', { token: jwt.sign({}, env.keys.hs1.secret, { keyid: 'hs1' }) }));
			await d.stop();
			assert.match(d.stderr, /refused verifies: suppressed \d+ similar messages/);
			continue;
		}
		await d.stop();
	}
});
