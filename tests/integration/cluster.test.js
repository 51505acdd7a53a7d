'use strict';
/*
 * The fleet over Redis (docs/operations.md, "Several hosts"): three
 * daemons with their own state directories and one fleet key, a real
 * redis-server started here.
 *
 * - A revocation by token, jti and subject made on A is in force on B and
 *   C, in the daemon and from the cache, and their watchers hear it with
 *   its origin; a replayed record changes nothing.
 * - Redis killed during revokes and started again (with its data, then
 *   empty): nothing is lost (the outbox, and every host putting back what
 *   it holds when it sees a new epoch).
 * - A daemon killed with SIGKILL during revokes catches up from its last
 *   id.
 * - A record under another fleet key, a forged one and a tampered one are
 *   refused and logged, and change nothing.
 * - Redis on loopback TCP with requirepass, and with an ACL user.
 * - A host without [cluster] is as before: stats say nothing of a
 *   cluster.
 */
const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const path = require('node:path');

const h = require('./harness');
const { Redis } = require('./redis');
const { STREAM, WAIT, ctl, cached, fleet, startAll, fleetUp, lateHost, stats, connected, sign, refused } = require('./fleet');

const { AuthEngine } = require(path.join(h.ROOT, 'client', 'node'));

test('revocations by token, jti and subject on A reach B and C: daemon, cache and watchers; a replay changes nothing', { timeout: h.TEST_TIMEOUT }, async (t) => {
	const { redis, envs, ds, cs } = await fleetUp(t, 3);
	const watchB = h.ctlWatch(envs[1], true);
	t.after(() => watchB.proc.kill('SIGKILL'));
	await h.waitFor(async () => (await stats(cs[1])).watchers === 1, { ...WAIT, what: 'a watcher on B' });

	const tok = {
		byToken: await sign(cs[0], { sub: 'x1' }),
		byJti: await sign(cs[0], { sub: 'x2', jti: 'j-9' }),
		bySub: await sign(cs[0], { username: 'lee' }),
		other: await sign(cs[0], { username: 'kim' }),
	};
	/* in B's and C's caches first */
	for (const c of cs.slice(1))
		for (const k of Object.keys(tok))
			h.ok(await c.call('verify', { token: tok[k] }), k);
	for (const env of envs.slice(1))
		assert.strictEqual(cached(env, tok.bySub), 'hit');
	/* a SocketCluster worker on C: the Node engine, its cache attached */
	const engine = new AuthEngine({ socketPath: envs[2].sock });
	t.after(() => engine.close());
	await h.waitFor(() => engine.cacheAttached, { ...WAIT, what: 'the engine attaching C\'s cache' });
	assert.strictEqual((await engine.verifyToken(tok.bySub, null, {})).username, 'lee');

	h.ok(await cs[0].call('revoke', { token: tok.byToken }));
	h.ok(await cs[0].call('revoke', { jti: 'j-9' }));
	h.ok(await cs[0].call('revoke', { sub: 'lee' }));
	for (const [i, c] of cs.entries()) {
		for (const k of ['byToken', 'byJti', 'bySub'])
			await refused(c, tok[k], `${k} refused on ${'abc'[i]}`);
		h.ok(await c.call('verify', { token: tok.other }), `kim on ${'abc'[i]}`);
		assert.strictEqual(cached(envs[i], tok.bySub), 'jwt revoked', `from ${'abc'[i]}'s cache`);
		assert.strictEqual(cached(envs[i], tok.other), 'hit');
	}
	/* the engine on C refuses it too: its cache no longer answers */
	await assert.rejects(engine.verifyToken(tok.bySub, null, {}), { name: 'JsonWebTokenError', message: 'jwt revoked' });
	assert.strictEqual((await engine.verifyToken(tok.other, null, {})).username, 'kim');
	await h.waitFor(() => watchB.out.split('\n').filter((l) => l).length === 3, { ...WAIT, what: 'three events on B' });
	const ev = watchB.out.split('\n').filter((l) => l).map((l) => JSON.parse(l));
	assert.deepStrictEqual(ev.map((e) => [e.kind, e.origin]), [['token', 'a'], ['jti', 'a'], ['subject', 'a']]);
	assert.strictEqual(ev[2].value, 'lee');
	const st = await stats(cs[1]);
	assert.strictEqual(st.cluster_applied, 3);
	assert.strictEqual(st.cluster_outbox, 0);
	assert.match(st.cluster_last_id, /^\d+-\d+$/);
	assert.ok(st.cluster_lag_ms >= 0 && st.cluster_lag_ms < 5000, `lag ${st.cluster_lag_ms}`);
	const stA = await stats(cs[0]);
	assert.strictEqual(stA.cluster_applied, 0, 'A applies nothing of its own');
	/* a rotation on one host would sign tokens the others cannot
	 * verify: refused, saying what to do */
	h.fails(await cs[0].call('rotate'), 'AG_E_KEYRING', { what: 'rotate on a fleet member' });
	assert.match(ctl(envs[0], ['rotate']).stderr, /this host is in a fleet \(\[cluster\] in agauthd.conf\)/);
	assert.strictEqual(h.ok(await cs[0].call('keys')).keys.length, 1, 'no key was made');

	/* a replay of the subject record: nothing on B changes (no event,
	 * no new line in its log) */
	const log = fs.readFileSync(path.join(envs[1].dir, 'revocations'), 'utf8');
	const entries = redis.cli('XRANGE', STREAM, '-', '+').split('\n');
	const record = entries.find((l) => / s \d+ /.test(l));
	assert.ok(record, 'the subject record in the stream');
	redis.cli('XADD', STREAM, '*', 'r', record);
	const lastBefore = st.cluster_last_id;
	await h.waitFor(async () => (await stats(cs[1])).cluster_last_id !== lastBefore, { ...WAIT, what: 'B read the replay' });
	assert.strictEqual(fs.readFileSync(path.join(envs[1].dir, 'revocations'), 'utf8'), log);
	assert.strictEqual(watchB.out.split('\n').filter((l) => l).length, 3, 'no event for a replay');
	assert.strictEqual((await stats(cs[1])).cluster_applied, 3);

	/* a host after the fact catches up on all of it */
	const { dl, cl } = await lateHost(t, envs[0]);
	for (const k of ['byToken', 'byJti', 'bySub'])
		await refused(cl, tok[k], `${k} refused on a late host`);
	for (const d of [...ds, dl])
		await d.stop();
});

test('Redis killed during revokes and restarted with its data, then empty: nothing is lost', { timeout: h.TEST_TIMEOUT }, async (t) => {
	const { redis, envs, ds, cs } = await fleetUp(t, 3, { redis: { persist: true } });

	/* revokes on A and B before, during and after the outage */
	const subs = [];
	const revoke = async (c, s) => {
		subs.push(s);
		const r = await c.call('revoke', { sub: s });
		assert.strictEqual(r.ok, true, `revoke ${s} answers while Redis is away: ${h.show(r)}`);
	};
	await revoke(cs[0], 'u0');
	const killed = redis.kill();
	for (let i = 1; i <= 5; i++)
		await revoke(cs[i % 2], `u${i}`);
	await killed;
	await h.waitFor(async () => (await stats(cs[0])).cluster_connected === false, { ...WAIT, what: 'A sees Redis gone' });
	await revoke(cs[0], 'u6');
	assert.ok((await stats(cs[0])).cluster_outbox >= 1, 'the outbox holds what Redis did not take');
	await redis.spawn();
	const toks = {};
	/* tokens issued before the revocations, by each subject: signed with
	 * an iat in the past so that every revocation covers them */
	const past = Math.floor(Date.now() / 1000) - 60;
	for (const s of subs)
		toks[s] = h.ok(await cs[2].call('sign', { payload: JSON.stringify({ sub: s, iat: past }) })).token;
	for (const [i, c] of cs.entries())
		for (const s of subs)
			await refused(c, toks[s], `${s} refused on ${'abc'[i]} after the restart`);
	for (const c of cs)
		await h.waitFor(async () => (await stats(c)).cluster_outbox === 0, { ...WAIT, what: 'outbox empty' });

	/* now empty: the hosts put back what they hold; a new host, which
	 * missed all of it, ends with it */
	const epoch = redis.cli('GET', 'agauthd:epoch');
	await redis.kill();
	redis.persist = false;
	fs.rmSync(path.join(redis.dir, 'appendonlydir'), { recursive: true, force: true });
	await redis.spawn();
	/* it came back empty (the hosts may have begun to refill it
	 * already): a new epoch, named by the first host to reach it */
	await h.waitFor(() => /^[0-9a-f]{32}$/.test(redis.cli('GET', 'agauthd:epoch') || ''), { ...WAIT, what: 'a new epoch' });
	assert.notStrictEqual(redis.cli('GET', 'agauthd:epoch'), epoch, 'Redis came back empty');
	const { dl, cl } = await lateHost(t, envs[0]);
	for (const s of subs)
		await refused(cl, toks[s], `${s} refused on a host that joined after Redis came back empty`);
	assert.match(ds[0].stderr, /Redis has a new epoch/);
	for (const d of [...ds, dl])
		await d.stop();
});

test('a daemon killed with SIGKILL during revokes catches up when it comes back', { timeout: h.TEST_TIMEOUT }, async (t) => {
	const { envs, ds: [a, b], cs: [ca] } = await fleetUp(t, 2);
	const past = Math.floor(Date.now() / 1000) - 60;
	const toks = [];
	for (let i = 0; i < 10; i++)
		toks.push(h.ok(await ca.call('sign', { payload: JSON.stringify({ sub: `k${i}`, iat: past }) })).token);
	for (let i = 0; i < 10; i++) {
		if (i === 3)
			b.signal('SIGKILL');
		h.ok(await ca.call('revoke', { sub: `k${i}` }));
	}
	await b.waitExit();
	const b2 = await h.Daemon.start(envs[1]);
	t.after(() => b2.cleanup());
	const cb = await b2.client();
	for (let i = 0; i < 10; i++)
		await refused(cb, toks[i], `k${i} on b after its restart`);
	await a.stop();
	await b2.stop();
});

test('a record under another fleet key, a forged one and a tampered one are refused and logged, and change nothing', { timeout: h.TEST_TIMEOUT }, async (t) => {
	/* o: a host of another fleet on the same Redis and prefix */
	const { redis, ds: [a, b, o], cs: [ca, cb, co] } = await fleetUp(t, 2, { other: true });
	const tok = await sign(ca, { sub: 'eve' });
	const tok2 = await sign(ca, { sub: 'mallory' });

	h.ok(await co.call('revoke', { sub: 'eve' }), 'revoke on the other fleet');
	/* a forgery: a record in the right form with a made-up MAC */
	const fleetId = redis.cli('XRANGE', STREAM, '-', '+').split('\n').find((l) => l.startsWith('agr1 ')).split(' ')[1];
	const forged = `agr1 ${fleetId} a s ${Date.now()} ${Buffer.from('eve').toString('base64url')} ${'A'.repeat(43)}`;
	redis.cli('XADD', STREAM, '*', 'r', forged);
	/* a genuine record of A's, its subject changed */
	h.ok(await ca.call('revoke', { jti: 'harmless' }));
	const genuine = await h.waitFor(() => redis.cli('XRANGE', STREAM, '-', '+').split('\n').find((l) => / j \d+ /.test(l)), { ...WAIT, what: 'A\'s record' });
	const parts = genuine.split(' ');
	parts[3] = 's';
	parts[5] = Buffer.from('mallory').toString('base64url');
	redis.cli('XADD', STREAM, '*', 'r', parts.join(' '));
	redis.cli('XADD', STREAM, '*', 'r', 'not a record at all');
	const last = redis.cli('XADD', STREAM, '*', 'x', 'y');

	await h.waitFor(async () => (await stats(cb)).cluster_last_id === last, { ...WAIT, what: 'b read everything' });
	const st = await stats(cb);
	assert.strictEqual(st.cluster_refused, 4, 'the other fleet\'s, the forgery, the tampered one and the malformed one');
	h.ok(await cb.call('verify', { token: tok }), 'eve still valid on b');
	h.ok(await cb.call('verify', { token: tok2 }), 'mallory still valid on b');
	h.ok(await ca.call('verify', { token: tok }), 'eve still valid on a');
	assert.match(b.stderr, /stream entry \d+-\d+ refused: from another fleet/);
	/* rate-limited: one line, the others counted in the next */
	assert.strictEqual((b.stderr.match(/refused: /g) || []).length, 1, b.stderr);
	for (const d of [a, b, o])
		await d.stop();
});

for (const [what, opts, cluster] of [
	['requirepass over loopback TCP', { tcp: true, password: 'pw-1' }, { password_file: 'pass' }],
	['an ACL user', { tcp: true, acl: { user: 'agauthd', password: 'pw-2' } }, { password_file: 'pass', user: 'agauthd' }],
]) {
	test(`Redis with ${what}: revocations go through; a wrong password is refused and said`, { timeout: h.TEST_TIMEOUT }, async (t) => {
		const redis = await Redis.start(opts);
		t.after(() => redis.stop());
		const { envs } = fleet(redis, 2, { cluster, tcp: true });
		const pw = opts.password || opts.acl.password;
		for (const env of envs) {
			fs.writeFileSync(path.join(env.dir, 'pass'), `${pw}\n`, { mode: 0o600 });
			fs.writeFileSync(env.conf, fs.readFileSync(env.conf, 'utf8').replace('password_file = pass', `password_file = ${path.join(env.dir, 'pass')}`));
		}
		const [a, b] = await startAll(t, envs);
		const [ca, cb] = await Promise.all([a, b].map((d) => d.client()));
		await connected(ca, 'a');
		await connected(cb, 'b');
		const tok = await sign(ca, { sub: 'zed' });
		h.ok(await ca.call('revoke', { sub: 'zed' }));
		await refused(cb, tok, 'zed on b');
		assert.ok(!a.stderr.includes(pw), 'the password in the log');
		await a.stop();

		/* a wrong password: the daemon serves, and says why it cannot
		 * reach the fleet */
		fs.writeFileSync(path.join(envs[0].dir, 'pass'), 'wrong\n', { mode: 0o600 });
		const a2 = await h.Daemon.start(envs[0]);
		t.after(() => a2.cleanup());
		const ca2 = await a2.client();
		await h.waitFor(() => /Redis refused us: AUTH: WRONGPASS/.test(a2.stderr), { ...WAIT, what: 'the refusal logged' });
		assert.strictEqual((await stats(ca2)).cluster_connected, false);
		h.ok(await ca2.call('revoke', { sub: 'yan' }), 'revoke answers without Redis');
		await a2.stop();
		await b.stop();
	});
}

test('a host without [cluster] is as before; [cluster] without its key is refused at start', { timeout: h.TEST_TIMEOUT }, async (t) => {
	const env = h.setup();
	const d = await h.Daemon.start(env);
	t.after(() => d.cleanup());
	const c = await d.client();
	const st = await stats(c);
	assert.ok(!Object.keys(st).some((k) => k.startsWith('cluster')), 'no cluster fields');
	const ev = h.ctlWatch(env, true);
	t.after(() => ev.proc.kill('SIGKILL'));
	await h.waitFor(async () => (await stats(c)).watchers === 1, { ...WAIT, what: 'watching' });
	h.ok(await c.call('revoke', { sub: 'q' }));
	await h.waitFor(() => ev.out.includes('\n'), { ...WAIT, what: 'the event' });
	assert.ok(!('origin' in JSON.parse(ev.out.split('\n')[0])), 'no origin without a fleet');
	await d.stop();

	const bad = h.setup({ conf: { cluster: { redis: '/nowhere.sock' } } });
	const d2 = new h.Daemon(bad);
	await d2.spawn({ wait: false });
	const ex = await d2.waitExit();
	assert.notStrictEqual(ex.code, 0);
	assert.match(d2.stderr, /\[cluster\] redis needs key/);
});

test('a Redis that stops answering (SIGSTOP) is noticed: revokes answer and wait in the outbox; they go through when it answers again', { timeout: h.TEST_TIMEOUT }, async (t) => {
	/* stopped with SIGKILL after t, which ends it even while stopped */
	const { redis, ds, cs } = await fleetUp(t, 2);
	const past = Math.floor(Date.now() / 1000) - 60;
	const tok = h.ok(await cs[1].call('sign', { payload: JSON.stringify({ sub: 'hung', iat: past }) })).token;

	redis.proc.kill('SIGSTOP');
	/* no FIN, no RST: only silence, noticed within the block and its
	 * grace (3 s) */
	for (const c of cs)
		await h.waitFor(async () => (await stats(c)).cluster_connected === false, { timeout: h.slow(10000), what: 'Redis noticed gone' });
	h.ok(await cs[0].call('revoke', { sub: 'hung' }), 'revoke answers while Redis hangs');
	assert.strictEqual((await stats(cs[0])).cluster_outbox, 1);
	assert.match(ds[0].stderr, /Redis unreachable \(Redis did not answer in time\)/);
	redis.proc.kill('SIGCONT');
	await refused(cs[1], tok, 'the revocation on b once Redis answers');
	for (const d of ds)
		await d.stop();
});
