'use strict';
/*
 * The shared-memory cache, revocation and its events, through libagauth
 * as agauthctl uses it: verify --cache answers from the cache after a
 * sign and agauthd counts the hits its clients report; revoke --sub makes
 * the same token fail from the cache's side and from the daemon's; watch
 * prints every revocation; and a client can neither write nor resize the
 * cache through the descriptor it is given (build/cache_probe).
 */
const test = require('node:test');
const assert = require('node:assert');
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const jwt = require('jsonwebtoken');

const h = require('./harness');

const AGAUTHCTL = path.resolve(h.ROOT, process.env.AGAUTHCTL || 'build/agauthctl');
const PROBE = path.resolve(h.ROOT, process.env.CACHE_PROBE || 'build/cache_probe');

/* agauthctl --socket SOCK ARGS... to completion. */
function ctl(env, args, input) {
	const r = spawnSync(AGAUTHCTL, ['--socket', env.sock, ...args],
			    { encoding: 'utf8', timeout: 20000, input });
	if (r.error)
		throw r.error;
	return r;
}

/* agauthctl --json ...: { status, json, stderr }. */
function ctlJson(env, args, input) {
	const r = ctl(env, ['--json', ...args], input);
	let json;
	try {
		json = JSON.parse(r.stdout);
	} catch (e) {
		assert.fail(`agauthctl ${args.join(' ')}: not JSON on stdout: ${r.stdout} ${r.stderr}`);
	}
	return { status: r.status, json, stderr: r.stderr };
}

/* A token agauthd signs, through agauthctl. */
function sign(env, payload) {
	const r = ctl(env, ['sign', JSON.stringify(payload), '--expires-in', '3600']);
	assert.strictEqual(r.status, 0, r.stderr);
	return r.stdout.trim();
}

async function stats(c) {
	return h.ok(await c.call('stats'), 'stats');
}

function lines(s) {
	return s.split('\n').filter((l) => l !== '');
}

test('verify --cache answers from the cache; agauthd counts the hits and misses clients report', { timeout: h.TEST_TIMEOUT }, async (t) => {
	const env = h.setup();
	const d = await h.Daemon.start(env);
	t.after(() => d.cleanup());
	const c = await d.client();
	const before = await stats(c);

	/* sign puts the token in the cache: the first verify is a hit */
	const tok = sign(env, { sub: 'alice', n: 1 });
	let r = ctlJson(env, ['verify', '--cache', tok]);
	assert.strictEqual(r.status, 0, r.stderr);
	assert.strictEqual(r.json.cache, 'hit');
	assert.strictEqual(r.json.kid, 'hs1');
	assert.deepStrictEqual(r.json.payload, jwt.decode(tok));
	/* the hit was reported (agauthctl pings after a hit) */
	let st = await stats(c);
	assert.strictEqual(st.cache_hits - before.cache_hits, 1);
	assert.strictEqual(st.cache_misses - before.cache_misses, 0);

	/* complete: the header, as the daemon would send it */
	r = ctlJson(env, ['verify', '--cache', '--complete', tok]);
	assert.strictEqual(r.status, 0, r.stderr);
	assert.strictEqual(r.json.cache, 'hit');
	assert.deepStrictEqual(r.json.header, jwt.decode(tok, { complete: true }).header);
	assert.strictEqual(r.json.signature, tok.split('.')[2]);

	/* a token agauthd has never seen: a miss, verified, then a hit */
	const other = jwt.sign({ sub: 'carol' }, env.keys.hs1.secret, { algorithm: 'HS256', keyid: 'hs1', expiresIn: '1h' });
	r = ctlJson(env, ['verify', '--cache', other]);
	assert.strictEqual(r.status, 0, r.stderr);
	assert.strictEqual(r.json.cache, 'miss');
	r = ctlJson(env, ['verify', '--cache', other]);
	assert.strictEqual(r.json.cache, 'hit');
	st = await stats(c);
	assert.strictEqual(st.cache_hits - before.cache_hits, 3);
	assert.strictEqual(st.cache_misses - before.cache_misses, 1);
	assert.ok(st.cache_entries >= 2, JSON.stringify(st));

	/* options that refuse the cached token: the daemon's very error */
	for (const opts of [['--audience', 'nobody'], ['--algorithms', 'RS256'],
			    ['--clock-timestamp', String(jwt.decode(tok).exp + 10)], ['--subject', 'bob']]) {
		const hit = ctlJson(env, ['verify', '--cache', ...opts, tok]);
		const daemon = ctlJson(env, ['verify', ...opts, tok]);
		assert.strictEqual(hit.json.cache, 'hit', opts.join(' '));
		assert.notStrictEqual(hit.status, 0, opts.join(' '));
		assert.strictEqual(hit.status, daemon.status, opts.join(' '));
		delete hit.json.cache;
		assert.deepStrictEqual(hit.json, daemon.json, opts.join(' '));
		assert.strictEqual(hit.stderr, daemon.stderr, opts.join(' '));
	}
	await d.stop();
});

/* A key that leaves the keyring, and a verify key whose retire time has
 * passed, take their entries with them: the tokens the cache held for
 * them neither hit nor verify once the reload is live. */
test('a reload that removes a key or retires one: their cached tokens stop hitting at once (retire)', { timeout: h.TEST_TIMEOUT }, async (t) => {
	const env = h.setup({ keys: [
		{ name: 'hs1', type: 'hs256', state: 'primary' },
		{ name: 'hs2', type: 'hs256', state: 'verify' },
		{ name: 'hs3', type: 'hs256', state: 'verify' },
	] });
	const d = await h.Daemon.start(env);
	t.after(() => d.cleanup());
	const c = await d.client();
	const tokens = {};
	for (const name of ['hs2', 'hs3']) {
		tokens[name] = jwt.sign({ sub: name }, env.keys[name].secret, { algorithm: 'HS256', keyid: name, expiresIn: '1h' });
		assert.strictEqual(ctlJson(env, ['verify', '--cache', tokens[name]]).json.cache, 'miss', name);
		const r = ctlJson(env, ['verify', '--cache', tokens[name]]);
		assert.strictEqual(r.status, 0, r.stderr);
		assert.strictEqual(r.json.cache, 'hit', `${name} before the reload`);
	}

	/* hs2 retired ten seconds ago, hs3 gone */
	const keys = [
		{ name: 'hs1', file: 'keys/hs1.key', encoding: 'base64', algorithm: 'HS256', state: 'primary' },
		{ name: 'hs2', file: 'keys/hs2.key', encoding: 'base64', algorithm: 'HS256', state: 'verify',
		  retire: String(Math.floor(Date.now() / 1000) - 10) },
	];
	fs.writeFileSync(env.keyring, h.keyringText(keys));
	h.ok(await c.call('reload'), 'reload');
	for (const name of ['hs2', 'hs3']) {
		const r = ctlJson(env, ['verify', '--cache', tokens[name]]);
		assert.notStrictEqual(r.json.cache, 'hit', `${name}'s token still hits after the reload: ${h.show(r.json)}`);
		assert.strictEqual(r.status, 1, `${name}'s token after the reload: ${h.show(r.json)} ${r.stderr}`);
	}
	await d.stop();
});

test('revoke --sub: the token fails from the cache and from the daemon; watch prints the events', { timeout: h.TEST_TIMEOUT }, async (t) => {
	const env = h.setup();
	const d = await h.Daemon.start(env);
	t.after(() => d.cleanup());
	const c = await d.client();
	const plain = h.ctlWatch(env, false);
	const json = h.ctlWatch(env, true);
	t.after(() => { plain.proc.kill('SIGKILL'); json.proc.kill('SIGKILL'); });
	await h.waitFor(async () => (await stats(c)).watchers === 2, { what: 'two watchers' });

	const tok = sign(env, { sub: 'alice' });
	const bob = sign(env, { sub: 'bob' });
	assert.strictEqual(ctlJson(env, ['verify', '--cache', tok]).json.cache, 'hit');
	const t0 = Date.now() / 1000;
	let r = ctl(env, ['revoke', '--sub', 'alice']);
	assert.strictEqual(r.status, 0, r.stderr);
	assert.strictEqual(r.stdout, 'revoked: 1 cache entries purged\n');

	/* gone from the cache, refused by the daemon, both ways */
	r = ctlJson(env, ['verify', '--cache', tok]);
	assert.strictEqual(r.status, 1);
	assert.deepStrictEqual(r.json, { ok: false, code: 'AG_E_REVOKED', name: 'JsonWebTokenError',
					 message: 'jwt revoked', cache: 'miss' });
	r = ctl(env, ['verify', tok]);
	assert.strictEqual(r.status, 1);
	assert.strictEqual(r.stderr, 'JsonWebTokenError: jwt revoked\n');
	h.fails(await c.call('verify', { token: tok }), 'AG_E_REVOKED', { message: 'jwt revoked' });
	/* another subject is not touched */
	assert.strictEqual(ctlJson(env, ['verify', '--cache', bob]).json.cache, 'hit');

	/* jti, and a token through standard input */
	r = ctlJson(env, ['revoke', '--jti', 'j-7']);
	assert.deepStrictEqual({ ...r.json, at: typeof r.json.at }, { ok: true, purged: 0, live: false, at: 'number' });
	assert.match(r.stderr, /warning: no live token agauthd knows of matched/);
	r = ctl(env, ['revoke', '--token', '-'], `${bob}\n`);
	assert.strictEqual(r.status, 0, r.stderr);
	assert.strictEqual(ctlJson(env, ['verify', '--cache', bob]).json.message, 'jwt revoked');

	await h.waitFor(() => lines(plain.out).length === 3 && lines(json.out).length === 3,
			{ what: 'three events for each watcher' });
	const ev = lines(json.out).map((l) => JSON.parse(l));
	assert.deepStrictEqual(ev.map((e) => [e.event, e.kind, e.value]),
			       [['revoke', 'subject', 'alice'], ['revoke', 'jti', 'j-7'], ['revoke', 'token', bob]]);
	for (const e of ev)
		assert.ok(e.at >= t0 - 1 && e.at <= Date.now() / 1000 + 1, `event time ${e.at}`);
	const pl = lines(plain.out);
	assert.match(pl[0], /^revoke subject alice \d+\.\d{3}$/);
	assert.match(pl[1], /^revoke jti j-7 \d+\.\d{3}$/);
	assert.strictEqual(pl[2].split(' ')[2], bob);
	assert.strictEqual(Number(pl[0].split(' ')[3]).toFixed(3), ev[0].at.toFixed(3));

	/* the watch ends with the daemon: exit 69, and what to do now (on
	 * stderr, or with --json as the last line on stdout alone) */
	await d.stop();
	const said = /^connection to agauthd lost \(at .*\): the watch has ended; watch again and re-check what you hold, as revocations made meanwhile are not replayed$/;
	for (const w of [plain, json]) {
		const ex = await h.within(w.exited, 10000, 'agauthctl watch exit');
		assert.deepStrictEqual(ex, { code: 69, signal: null }, w.err);
	}
	assert.match(plain.err.replace(/^AgauthError: /, '').trimEnd(), said);
	assert.strictEqual(json.err, '');
	const last = JSON.parse(lines(json.out).pop());
	assert.strictEqual(last.code, 'AG_E_DISCONNECTED');
	assert.match(last.message, said);
});

test('a signer cannot date a token after the second it signs it in: revoke --sub covers all it issued', { timeout: h.TEST_TIMEOUT }, async (t) => {
	const env = h.setup();
	const d = await h.Daemon.start(env);
	t.after(() => d.cleanup());
	const c = await d.client();
	const second = () => Math.floor(Date.now() / 1000);
	const FUTURE = /^"iat" \d+ is later than \d+, the second the token is signed in: agauthd signs no token dated after it is issued, which a revocation of its subject could not cover; leave "iat" out to have the current time$/;

	/* a compromised worker with the sign right tries to mint tokens that
	 * outlive "log out everywhere" */
	for (const iat of [99999999999, second() + 3600, second() + 2]) {
		h.fails(await c.call('sign', { payload: JSON.stringify({ sub: 'alice', iat }), opts: '{"expiresIn":"1y"}' }),
			'AG_E_IAT_FUTURE', { name: 'Error', message: FUTURE, what: `sign with iat ${iat}` });
	}
	let r = ctl(env, ['sign', '{"sub":"alice","iat":99999999999}']);
	assert.strictEqual(r.status, 4, r.stderr);
	assert.match(r.stderr, /^Error: "iat" 99999999999 is later than \d+, the second the token is signed in/);

	/* what it may sign: now, the past, or no iat of its own */
	const issued = [
		sign(env, { sub: 'alice' }),
		sign(env, { sub: 'alice', iat: second() }),
		sign(env, { sub: 'alice', iat: second() - 60 }),
		h.ok(await c.call('sign', { payload: '{"sub":"alice","iat":99999999999}', opts: '{"noTimestamp":true}' })).token,
	];
	for (const tok of issued)
		h.ok(await c.call('verify', { token: tok }));
	r = ctl(env, ['revoke', '--sub', 'alice']);
	assert.strictEqual(r.status, 0, r.stderr);
	/* every token agauthd issued before the revocation is covered */
	for (const tok of issued)
		h.fails(await c.call('verify', { token: tok }), 'AG_E_REVOKED', { what: JSON.stringify(h.decodeToken(tok).payload) });
	await d.stop();
});

test('agauthctl revoke and verify --cache refusals', { timeout: h.TEST_TIMEOUT }, async (t) => {
	const env = h.setup({ conf: { cache: { size: 0 } } });
	const d = await h.Daemon.start(env);
	t.after(() => d.cleanup());
	const tok = sign(env, { sub: 'alice' });
	/* no cache: --cache is refused, plain verify works */
	let r = ctlJson(env, ['verify', '--cache', tok]);
	assert.strictEqual(r.status, 4);
	assert.strictEqual(r.json.code, 'AG_E_NO_CACHE');
	assert.strictEqual(ctl(env, ['verify', tok]).status, 0);
	/* revoke takes exactly one of its flags */
	assert.strictEqual(ctl(env, ['revoke']).status, 64);
	assert.strictEqual(ctl(env, ['revoke', '--jti', 'a', '--sub', 'b']).status, 64);
	/* without a cache a revocation is still in force */
	r = ctlJson(env, ['revoke', '--sub', 'alice']);
	assert.deepStrictEqual({ ...r.json, at: typeof r.json.at }, { ok: true, purged: 0, live: false, at: 'number' },
			       'no cache knew of a live token');
	assert.strictEqual(ctl(env, ['verify', tok]).status, 1);
	await d.stop();
});

test('a client can neither write nor resize the cache', { timeout: h.TEST_TIMEOUT }, async (t) => {
	const env = h.setup();
	const d = await h.Daemon.start(env);
	t.after(() => d.cleanup());
	const r = spawnSync(PROBE, [env.sock], { encoding: 'utf8', timeout: 20000 });
	assert.ifError(r.error);
	assert.strictEqual(r.status, 0, `cache_probe: ${r.stdout} ${r.stderr}`);
	const p = JSON.parse(r.stdout);
	assert.strictEqual(p.magic, 'AGCACHE');
	for (const k of ['write', 'mmap_write', 'mprotect_write', 'shrink', 'grow', 'reopen_write', 'add_seal'])
		assert.match(p[k], /^E[A-Z]+$/, `${k}: ${r.stdout}`);
	/* still served after the attempts */
	const tok = sign(env, { sub: 'alice' });
	assert.strictEqual(ctlJson(env, ['verify', '--cache', tok]).json.cache, 'hit');
	await d.stop();
});
