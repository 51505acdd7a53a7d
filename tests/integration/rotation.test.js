'use strict';
/*
 * 7. Rotation under load: clients keep verifying tokens signed before any
 * rotation while the keyring is rotated (rotate op), reloaded (SIGHUP) and
 * reloaded again (reload op).  Not one verification may fail.
 */
const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const path = require('node:path');

const jwt = require('jsonwebtoken');

const h = require('./harness');

const EXPIRY = 3600;

test('rotate, SIGHUP and reload under verify load: zero failures, new kids', { timeout: h.TEST_TIMEOUT }, async (t) => {
	const env = h.setup({
		keys: [{ name: 'k0', type: 'hs256', state: 'primary' }],
		conf: { keys: { default_expiry: EXPIRY } },
	});
	const d = await h.Daemon.start(env);
	t.after(() => d.cleanup());
	const admin = await d.client();
	const now = () => Date.now() / 1000;

	/* tokens from before any rotation, valid for an hour */
	const old = [];
	for (let i = 0; i < 16; i++)
		old.push(h.ok(await admin.call('sign', { payload: JSON.stringify({ i }), opts: '{"expiresIn":3600}' })).token);
	old.push(jwt.sign({ i: 16 }, env.keys.k0.secret, { algorithm: 'HS256', expiresIn: 3600 }));  /* no kid */

	/* the load: 4 clients, pipelined batches, until told to stop */
	const load = { stop: false, done: 0, failed: [] };
	const deadline = Date.now() + 60000;
	const worker = async () => {
		const c = await h.Client.open(env.sock);
		for (let round = 0; !load.stop && Date.now() < deadline && round < 100000; round++) {
			const rs = await Promise.all(old.map((token) => c.call('verify', { token })));
			rs.forEach((r, i) => {
				if (!r.ok || h.payloadOf(r).i !== i)
					load.failed.push(r);
			});
			load.done += rs.length;
		}
		c.destroy();
	};
	const workers = [worker(), worker(), worker(), worker()];
	const moreLoad = async (n = 300) => {
		const target = load.done + n;
		await h.waitFor(() => load.done >= target || load.failed.length, { timeout: 20000, what: `${n} more verifies` });
	};
	const generation = async () => h.ok(await admin.call('stats')).generation;
	const keys = async () => h.ok(await admin.call('keys')).keys;

	let gen = 1;
	const kids = ['k0'];
	const after = [];               /* tokens signed after each rotation */
	const rotate = async (args = {}) => {
		await moreLoad();
		const t0 = now();
		const r = h.ok(await admin.call('rotate', args), 'rotate');
		gen++;
		assert.strictEqual(r.generation, gen);
		assert.notStrictEqual(r.kid, kids[kids.length - 1]);
		const prev = kids[kids.length - 1];
		kids.push(r.kid);
		/* keys: the new kid is primary; the old primary verifies until
		 * now + default_expiry */
		const ks = await keys();
		const fresh = ks.find((k) => k.kid === r.kid);
		assert.ok(fresh, `rotated kid ${r.kid} missing from keys`);
		assert.strictEqual(fresh.state, 'primary');
		assert.strictEqual(fresh.alg, args.alg || 'HS256');
		const demoted = ks.find((k) => k.kid === prev);
		assert.strictEqual(demoted.state, 'verify', `old primary ${prev}: ${JSON.stringify(demoted)}`);
		assert.ok(Math.abs(demoted.retire - (t0 + EXPIRY)) <= 10,
			  `old primary retires at ${demoted.retire}, want about ${t0 + EXPIRY}`);
		assert.strictEqual(ks.filter((k) => k.state === 'primary').length, 1);
		/* new tokens carry the new kid */
		const s = h.ok(await admin.call('sign', { payload: '{"after":1}', opts: '{"expiresIn":3600}' }));
		assert.strictEqual(s.kid, r.kid);
		const hd = h.decodeToken(s.token).header;
		assert.strictEqual(hd.kid, r.kid);
		assert.strictEqual(hd.alg, args.alg || 'HS256');
		after.push(s.token);
		return r;
	};
	const sighup = async () => {
		await moreLoad();
		d.signal('SIGHUP');
		gen++;
		await h.waitFor(async () => (await generation()) === gen, { timeout: 10000, what: `generation ${gen} after SIGHUP` });
	};
	const reload = async () => {
		await moreLoad();
		const r = h.ok(await admin.call('reload'), 'reload');
		gen++;
		assert.strictEqual(r.generation, gen);
	};

	try {
		await rotate();
		await sighup();
		await rotate();
		await reload();
		await sighup();
		await rotate({ alg: 'ES256' });
		await sighup();
		await reload();
		await moreLoad();
	} finally {
		load.stop = true;
		await Promise.all(workers);
	}
	assert.deepStrictEqual(load.failed, [], `${load.failed.length} verifications failed`);
	t.diagnostic(`${load.done} verifications during 3 rotations, 3 SIGHUPs and 2 reloads`);
	assert.strictEqual(await generation(), gen);

	/* every token signed along the way still verifies, with its kid */
	for (const [i, token] of after.entries()) {
		const r = h.ok(await admin.call('verify', { token }), `token signed after rotation ${i + 1}`);
		assert.strictEqual(r.kid, kids[i + 1]);
	}
	const r = h.ok(await admin.call('verify', { token: old[0] }));
	assert.strictEqual(r.kid, 'k0');
	/* the manifest rotation rewrote loads as it is */
	const check = h.run(['-t', '-c', env.conf]);
	assert.strictEqual(check.status, 0, check.stderr);
	const manifest = fs.readFileSync(env.keyring, 'utf8');
	for (const kid of kids)
		assert.match(manifest, new RegExp(`\\[key ${kid}\\]`));
	assert.strictEqual(fs.statSync(env.keyring).mode & 0o777, 0o600);
	assert.match(d.stderr, /SIGHUP: reloading the keyring/);
	await d.stop();
});

test('reloads while a rotation runs: the generation never goes back', { timeout: h.TEST_TIMEOUT }, async (t) => {
	/* an RS256 rotation generates an RSA key on a crypto thread, which
	 * takes long enough for SIGHUP reloads to land meanwhile */
	const env = h.setup({ keys: [{ name: 'r0', type: 'rsa2048', state: 'primary' }] });
	const d = await h.Daemon.start(env);
	t.after(() => d.cleanup());
	const c = await d.client();
	let overlapped = 0;
	for (let i = 0; i < 3; i++) {
		const before = d.stderr.length;
		const p = c.call('rotate');
		await h.waitFor(() => /rotation requested by uid/.test(d.stderr.slice(before)),
				{ timeout: 10000, what: 'the rotation to start' });
		/* two reloads, each waited for, while the key is being made */
		for (let k = 0; k < 2; k++) {
			const mark = d.stderr.length;
			d.signal('SIGHUP');
			await h.waitFor(() => /SIGHUP: reloading the keyring\n.*(keyring generation \d+ live|reload failed)/
					.test(d.stderr.slice(mark)),
					{ timeout: 10000, what: 'the SIGHUP reload' });
		}
		const r = h.ok(await p, 'rotate');
		/* the reply names the generation the rotation made live: the
		 * line after the rotation's, which may come later than the
		 * reply and than the rotation's line */
		const went = await h.waitFor(() => /audit: rotate uid=[^\n]*\n[^\n]*keyring generation (\d+) live/.exec(d.stderr.slice(before)),
					     { timeout: 5000, what: 'the rotation\'s line and the generation it made live' });
		const log = d.stderr.slice(before);
		if (log.indexOf('SIGHUP') < log.indexOf('audit: rotate uid='))
			overlapped++;
		assert.strictEqual(r.generation, Number(went[1]), 'rotate replied another generation than went live');
		const st = h.ok(await c.call('stats'));
		assert.ok(st.generation >= r.generation, `stats.generation ${st.generation} < ${r.generation}`);
		const ks = h.ok(await c.call('keys'));
		assert.strictEqual(ks.keys.find((k) => k.state === 'primary').kid, r.kid);
		assert.strictEqual(h.ok(await c.call('sign', { payload: '{}' })).kid, r.kid);
	}
	/* every keyring that went live, in order */
	const live = [...d.stderr.matchAll(/keyring generation (\d+) live/g)].map((m) => Number(m[1]));
	t.diagnostic(`generations live: ${live.join(' ')}; ${overlapped} of 3 rotations overlapped reloads`);
	assert.strictEqual(live.length, 9);
	for (let i = 1; i < live.length; i++)
		assert.ok(live[i] > live[i - 1], `generation went back: ${live.join(' ')}`);
	const check = h.run(['-t', '-c', env.conf]);
	assert.strictEqual(check.status, 0, check.stderr);
	await d.stop();
});

test('refused rotations leave no trace; one rotation at a time', { timeout: h.TEST_TIMEOUT }, async (t) => {
	const env = h.setup({ keys: [{ name: 'r0', type: 'rsa2048', state: 'primary' }] });
	const d = await h.Daemon.start(env);
	t.after(() => d.cleanup());
	const c = await d.client();
	const manifest = fs.readFileSync(env.keyring, 'utf8');
	h.fails(await c.call('rotate', { alg: 'XX999' }), 'AG_E_KEYRING', { message: /cannot rotate to 'XX999'/ });
	h.fails(await c.call('rotate', { alg: 'none' }), 'AG_E_KEYRING');
	h.fails(await c.call('rotate', { alg: 256 }), 'AG_E_BAD_REQUEST');
	assert.strictEqual(fs.readFileSync(env.keyring, 'utf8'), manifest, 'a refused rotation changed the manifest');
	assert.deepStrictEqual(fs.readdirSync(path.join(env.dir, 'keys')), ['r0.pem']);
	assert.ok(!fs.existsSync(`${env.keyring}.new`));
	assert.strictEqual(h.ok(await c.call('stats')).generation, 1);
	/* two at once: the second is told to wait */
	c.sock.cork();
	const p1 = c.call('rotate');
	const p2 = c.call('rotate');
	c.sock.uncork();
	const [r1, r2] = await Promise.all([p1, p2]);
	h.ok(r1, 'first rotation');
	h.fails(r2, 'AG_E_BUSY', { message: 'a rotation is running' });
	/* and afterwards rotations go through again */
	const r3 = h.ok(await c.call('rotate', { alg: 'PS256' }), 'rotation after the busy one');
	const s = h.ok(await c.call('sign', { payload: '{}' }));
	assert.deepStrictEqual(h.decodeToken(s.token).header, { alg: 'PS256', typ: 'JWT', kid: r3.kid });
	await d.stop();
});

/* The manifest's text without the section [key NAME]. */
function withoutKey(text, name) {
	return text.replace(new RegExp(`\\[key ${name}\\]\\n(?:[^[].*\\n|\\n)*`), '');
}

test('a key removed and reloaded while a rotation generates its key stays removed', { timeout: h.TEST_TIMEOUT }, async (t) => {
	/* an RS256 rotation makes an RSA key on a crypto thread: time for
	 * the operator's edit and reload to land before it commits */
	const env = h.setup({ keys: [
		{ name: 'r0', type: 'rsa2048', state: 'primary' },
		{ name: 'leaked', type: 'hs256', state: 'verify' },
	] });
	const d = await h.Daemon.start(env);
	t.after(() => d.cleanup());
	const c = await d.client();
	const admin = await d.client();
	const leakedSection = /\[key leaked\]\n(?:[^[].*\n|\n)*/.exec(fs.readFileSync(env.keyring, 'utf8'))[0];
	const leakedTok = jwt.sign({ u: 1 }, env.keys.leaked.secret, { algorithm: 'HS256', keyid: 'leaked', expiresIn: 3600 });
	let overlapped = 0;
	for (let round = 0; round < 5 && !overlapped; round++) {
		/* leaked is in the keyring again (after an earlier round that did
		 * not overlap) */
		if (!/\[key leaked\]/.test(fs.readFileSync(env.keyring, 'utf8'))) {
			fs.appendFileSync(env.keyring, `\n${leakedSection}`);
			h.ok(await admin.call('reload'));
		}
		h.ok(await c.call('verify', { token: leakedTok }), 'leaked verifies before its removal');
		const mark = d.stderr.length;
		let rotated = false;
		const p = c.call('rotate', { alg: 'RS256' }).then((r) => { rotated = true; return r; });
		await h.waitFor(() => /rotation requested by uid/.test(d.stderr.slice(mark)), { timeout: 10000, what: 'the rotation to start' });
		/* the operator removes the leaked key and reloads */
		fs.writeFileSync(env.keyring, withoutKey(fs.readFileSync(env.keyring, 'utf8'), 'leaked'));
		h.ok(await admin.call('reload'), 'reload without leaked');
		if (!rotated)
			overlapped++;
		h.fails(await admin.call('verify', { token: leakedTok }), 'AG_E_INVALID_ALG', { what: 'leaked right after the reload' });
		const r = h.ok(await p, 'rotate');
		/* the rotation went live on top of the reload, without leaked */
		const ks = h.ok(await admin.call('keys')).keys;
		assert.deepStrictEqual(ks.filter((k) => k.kid === 'leaked'), [], `leaked is back after the rotation (round ${round}): ${h.show(ks)}`);
		assert.strictEqual(ks.find((k) => k.state === 'primary').kid, r.kid);
		h.fails(await admin.call('verify', { token: leakedTok }), 'AG_E_INVALID_ALG', { what: `leaked after the rotation (round ${round})` });
		assert.doesNotMatch(fs.readFileSync(env.keyring, 'utf8'), /\[key leaked\]/, 'the rotation wrote leaked back into the manifest');
	}
	t.diagnostic(`${overlapped} rotation(s) overlapped the reload`);
	assert.ok(overlapped > 0, 'no rotation was still generating when the reload came: the race was not run');
	/* and a restart, which reads the manifest, does not bring it back */
	const check = h.run(['-t', '-c', env.conf]);
	assert.strictEqual(check.status, 0, check.stderr);
	await d.stop();
});

test('a rotation after the manifest was edited but not reloaded is refused, and changes nothing', { timeout: h.TEST_TIMEOUT }, async (t) => {
	const env = h.setup({ keys: [
		{ name: 'k0', type: 'hs256', state: 'primary' },
		{ name: 'leaked', type: 'hs256', state: 'verify' },
	] });
	const d = await h.Daemon.start(env);
	t.after(() => d.cleanup());
	const c = await d.client();
	const edited = withoutKey(fs.readFileSync(env.keyring, 'utf8'), 'leaked');
	fs.writeFileSync(env.keyring, edited);
	h.fails(await c.call('rotate'), 'AG_E_KEYRING', { message: new RegExp(`${env.keyring.replace(/[.]/g, '\\.')} changed since keyring generation 1 was loaded from it; reload it \\(agauthctl reload\\), then rotate again`) });
	assert.strictEqual(fs.readFileSync(env.keyring, 'utf8'), edited, 'the refused rotation rewrote the manifest');
	assert.deepStrictEqual(fs.readdirSync(path.join(env.dir, 'keys')).sort(), ['k0.key', 'leaked.key'], 'the refused rotation left a key file');
	assert.strictEqual(h.ok(await c.call('stats')).generation, 1);
	/* reloaded, the same rotation goes through without the removed key */
	h.ok(await c.call('reload'));
	const r = h.ok(await c.call('rotate'));
	assert.deepStrictEqual(h.ok(await c.call('keys')).keys.map((k) => k.kid).sort(), ['k0', r.kid].sort());
	assert.doesNotMatch(fs.readFileSync(env.keyring, 'utf8'), /\[key leaked\]/);
	await d.stop();
});

test('70 rotations: keys past their retire time leave the manifest, and their files go', { timeout: h.TEST_TIMEOUT }, async (t) => {
	/* a daily rotation job, two and a half months of it: the old
	 * primary verifies for a second after each */
	const env = h.setup({ keys: [{ name: 'k0', type: 'hs256', state: 'primary' }], conf: { keys: { default_expiry: 1 } } });
	const d = await h.Daemon.start(env);
	t.after(() => d.cleanup());
	const c = await d.client();
	let last;
	for (let i = 0; i < 70; i++) {
		last = h.ok(await c.call('rotate'), `rotation ${i + 1}`);
		await h.sleep(40);
	}
	await h.sleep(1100);
	last = h.ok(await c.call('rotate'), 'rotation 71');
	/* left: the new primary and the one it demoted */
	const ks = h.ok(await c.call('keys')).keys;
	assert.strictEqual(ks.length, 2, h.show(ks));
	assert.strictEqual(ks.find((k) => k.state === 'primary').kid, last.kid);
	const manifest = fs.readFileSync(env.keyring, 'utf8');
	const named = [...manifest.matchAll(/^file = (.*)$/mg)].map((m) => path.basename(m[1])).sort();
	assert.strictEqual(named.length, 2, manifest);
	assert.deepStrictEqual(fs.readdirSync(path.join(env.dir, 'keys')).sort(), named, 'key files of keys no longer in the manifest are left');
	assert.match(d.stderr, /k0 retired at .*: out of .*keyring\.conf, .*keys\/k0\.key removed/);
	await d.stop();
});

test('a reload drops keys past their retire time from the manifest and removes their files', { timeout: h.TEST_TIMEOUT }, async (t) => {
	const past = '2020-01-01T00:00:00Z';
	const env = h.setup({ keys: [
		{ name: 'k0', type: 'hs256', state: 'primary' },
		{ name: 'old1', type: 'hs256', state: 'verify', retire: past },
		{ name: 'old2', type: 'p256', state: 'retired', retire: past },
		{ name: 'later', type: 'hs256', state: 'verify', retire: '2099-01-01T00:00:00Z' },
		{ name: 'shelved', type: 'hs256', state: 'retired' },
	] });
	const d = await h.Daemon.start(env);
	t.after(() => d.cleanup());
	const c = await d.client();
	h.ok(await c.call('reload'));
	assert.deepStrictEqual(h.ok(await c.call('keys')).keys.map((k) => k.kid).sort(), ['k0', 'later', 'shelved']);
	const manifest = fs.readFileSync(env.keyring, 'utf8');
	assert.doesNotMatch(manifest, /\[key old[12]\]/);
	assert.deepStrictEqual(fs.readdirSync(path.join(env.dir, 'keys')).sort(), ['k0.key', 'later.key', 'shelved.key']);
	/* what is left loads as it is, and signs with k0 */
	assert.strictEqual(h.run(['-t', '-c', env.conf]).status, 0);
	assert.strictEqual(h.ok(await c.call('sign', { payload: '{}' })).kid, 'k0');
	await d.stop();
});
