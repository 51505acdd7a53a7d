'use strict';
/*
 * Keys across the fleet (docs/operations.md, "Several hosts"): agauthctl
 * rotate --cluster on one host makes a key that every host installs
 * (file 0600, manifest rewritten), verifies with at once, and makes
 * primary at the same announced instant; a real redis-server and three
 * daemons, as cluster.test.js.
 *
 * - Under load (4 clients per host signing, and verifying tokens of every
 *   host): 0 failed verifies, every host's tokens switch kid at the
 *   instant (SWITCH_TOL_MS either side: the hosts share this machine's
 *   clock; only the time between the request and its reply is unknown).
 * - A host SIGKILLed during the rotation and started after the instant
 *   installs the key and signs with it; what it signed before verifies
 *   everywhere.
 * - Redis restarted empty: the latest rotation comes back into the
 *   stream, and a host that missed it installs it.
 * - Attacks: a wrapped key, an instant or a kid changed in Redis, and a
 *   rotation under another fleet key, are refused and logged, and no key
 *   file is written; a replayed record changes nothing.
 * - rotate without --cluster on a member refuses naming --cluster;
 *   rotate --cluster without [cluster] refuses.
 * The key's bytes are never in the stream in clear, nor in a log.
 */
const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const path = require('node:path');

const h = require('./harness');
const { STREAM, WAIT, ctl, fleetUp, lateHost, stats, connected, sign } = require('./fleet');

const SWITCH_TOL_MS = 5;

/* agauthctl --json rotate --cluster on env: {kid, activate} */
function rotateCluster(env, args = []) {
	const r = ctl(env, ['--json', 'rotate', '--cluster', ...args]);
	const j = JSON.parse(r.stdout);
	assert.strictEqual(j.ok, true, `rotate --cluster: ${r.stdout} ${r.stderr}`);
	return j;
}

/* The key kid on every client's host: installed, with one fingerprint. */
async function installedEverywhere(cs, kid) {
	const fps = [];
	for (const [i, c] of cs.entries()) {
		await h.waitFor(async () => h.ok(await c.call('keys')).keys.some((k) => k.kid === kid), { ...WAIT, what: `key ${kid} on host ${i}` });
		fps.push(h.ok(await c.call('keys')).keys.find((k) => k.kid === kid).fingerprint);
	}
	assert.strictEqual(new Set(fps).size, 1, `one fingerprint: ${fps}`);
}

/* The key file of kid in env: mode 0600, its text. */
function keyFile(env, kid) {
	const dir = path.join(env.dir, 'keys');
	const f = fs.readdirSync(dir).find((n) => n.startsWith(`${kid}.`));
	assert.ok(f, `no file of ${kid} in ${dir}`);
	assert.strictEqual(fs.statSync(path.join(dir, f)).mode & 0o777, 0o600);
	return fs.readFileSync(path.join(dir, f), 'utf8');
}

/* The stream's rotation records. */
function rotations(redis) {
	return redis.cli('XRANGE', STREAM, '-', '+').split('\n').filter((l) => / k \d+ /.test(l));
}

test('rotate --cluster under load: every host installs the key and switches kid at the announced instant; 0 failed verifies', { timeout: h.TEST_TIMEOUT }, async (t) => {
	const { redis, envs, ds, cs } = await fleetUp(t, 3);

	/* the load: 4 clients per host, each signing on its host and
	 * verifying the latest token of every host, until told to stop */
	const load = { stop: false, verifies: 0, failed: [], signed: [[], [], []] };
	const latest = [null, null, null];
	const worker = async (host) => {
		const c = await h.Client.open(envs[host].sock);
		while (!load.stop) {
			const t0 = Date.now();
			const r = await c.call('sign', { payload: JSON.stringify({ host }), opts: '{"expiresIn":3600}' });
			const t1 = Date.now();
			if (!r.ok) {
				load.failed.push(r);
				continue;
			}
			load.signed[host].push({ t0, t1, kid: h.decodeToken(r.token).header.kid });
			latest[host] = r.token;
			for (const tok of latest.filter((x) => x)) {
				const v = await c.call('verify', { token: tok });
				load.verifies++;
				if (!v.ok)
					load.failed.push(v);
			}
		}
		c.destroy();
	};
	const workers = [];
	for (let host = 0; host < 3; host++)
		for (let i = 0; i < 4; i++)
			workers.push(worker(host));
	await h.waitFor(() => load.verifies >= 300 || load.failed.length, { timeout: 20000, what: 'the load going' });

	const r = rotateCluster(envs[0], ['--activate-in', '3']);
	const at = r.activate;
	assert.ok(at * 1000 > Date.now(), `the instant ${at} is still to come`);
	await installedEverywhere(cs, r.kid);
	/* before the instant every host still signs with hs1 */
	assert.ok(Date.now() < at * 1000, 'installed everywhere before the instant (raise --activate-in on a slower machine)');
	await h.waitFor(() => Date.now() > at * 1000 + 1500, { timeout: 10000, what: 'the instant and a little more' });
	load.stop = true;
	await Promise.all(workers);
	assert.deepStrictEqual(load.failed, [], `${load.failed.length} failed of ${load.verifies}`);

	/* each host switched at the instant */
	const edges = [];
	for (let host = 0; host < 3; host++) {
		const s = load.signed[host];
		for (const x of s) {
			if (x.t1 < at * 1000 - SWITCH_TOL_MS)
				assert.strictEqual(x.kid, 'hs1', `host ${host}: signed before the instant with ${x.kid}`);
			if (x.t0 > at * 1000 + SWITCH_TOL_MS)
				assert.strictEqual(x.kid, r.kid, `host ${host}: signed after the instant with ${x.kid}`);
		}
		const lastOld = Math.max(...s.filter((x) => x.kid === 'hs1').map((x) => x.t0));
		const firstNew = Math.min(...s.filter((x) => x.kid === r.kid).map((x) => x.t1));
		assert.ok(Number.isFinite(lastOld) && Number.isFinite(firstNew), `host ${host} signed on both sides`);
		edges.push(`${host}: last hs1 sent ${lastOld - at * 1000} ms, first ${r.kid} answered +${firstNew - at * 1000} ms`);
	}
	t.diagnostic(`switch around the instant: ${edges.join('; ')}; ${load.verifies} verifies`);

	/* every host: the key, the manifest says when, the old key retires
	 * default_expiry after the instant */
	const text = keyFile(envs[0], r.kid);
	for (const [i, env] of envs.entries()) {
		assert.strictEqual(keyFile(env, r.kid), text, `host ${i}: the same key file`);
		assert.match(fs.readFileSync(env.keyring, 'utf8'), new RegExp(`\\[key ${r.kid}\\][^[]*activate = `));
		const ks = h.ok(await cs[i].call('keys')).keys;
		assert.deepStrictEqual(ks.map((k) => [k.kid, k.state]), [['hs1', 'verify'], [r.kid, 'primary']]);
		assert.strictEqual(ks[0].retire, at + 86400);
	}
	/* the key never in clear: not in the stream, not in a log */
	const secret = text.trim();
	assert.ok(!redis.cli('XRANGE', STREAM, '-', '+').includes(secret), 'the key in the stream');
	for (const d of ds) {
		assert.ok(!d.stderr.includes(secret), 'the key in a log');
		assert.doesNotMatch(d.stderr, /not installed/);
	}
	assert.match(ds[1].stderr, new RegExp(`cluster: key ${r.kid} \\(HS256\\) from a installed`));
	for (const d of ds)
		await d.stop();
});

test('a host SIGKILLed during the rotation installs the key when it comes back after the instant; its tokens verify everywhere', { timeout: h.TEST_TIMEOUT }, async (t) => {
	const { envs, ds, cs } = await fleetUp(t, 3);
	const before = await sign(cs[2], { sub: 'c-before' });
	ds[2].signal('SIGKILL');
	await ds[2].waitExit();

	const r = rotateCluster(envs[0], ['--activate-in', '1']);
	await installedEverywhere(cs.slice(0, 2), r.kid);
	await h.waitFor(() => Date.now() > r.activate * 1000 + 200, { timeout: 10000, what: 'the instant' });
	assert.strictEqual(h.decodeToken(await sign(cs[1], { sub: 'b-after' })).header.kid, r.kid);

	const c2 = await h.Daemon.start(envs[2]);
	t.after(() => c2.cleanup());
	const cc = await c2.client();
	await connected(cc, 'c again');
	await installedEverywhere([cc], r.kid);
	/* the instant has passed: primary at once */
	const after = await sign(cc, { sub: 'c-after' });
	assert.strictEqual(h.decodeToken(after).header.kid, r.kid);
	for (const c of [cs[0], cs[1], cc])
		for (const tok of [before, after])
			h.ok(await c.call('verify', { token: tok }), 'verify');
	assert.deepStrictEqual(h.ok(await cc.call('keys')).keys.map((k) => [k.kid, k.state]), [['hs1', 'verify'], [r.kid, 'primary']]);
	for (const d of [ds[0], ds[1], c2])
		await d.stop();
});

test('Redis restarted empty: the latest rotation comes back into the stream, and a host that missed it installs it', { timeout: h.TEST_TIMEOUT }, async (t) => {
	const { redis, envs, ds, cs } = await fleetUp(t, 2);
	const r = rotateCluster(envs[0], ['--activate-in', '3600']);
	await installedEverywhere(cs, r.kid);

	await redis.kill();
	await redis.restart();
	await h.waitFor(() => rotations(redis).length >= 1, { ...WAIT, what: 'the rotation back in the stream' });
	const { dl, cl } = await lateHost(t, envs[0]);
	await installedEverywhere([cl, ...cs], r.kid);
	for (const d of [...ds, dl])
		await d.stop();
});

test('a wrapped key, an instant or a kid changed in Redis, and another fleet key\'s rotation, are refused and logged; no file is written; a replay changes nothing', { timeout: h.TEST_TIMEOUT }, async (t) => {
	/* o: a host of another fleet on the same Redis and prefix */
	const { redis, envs, other, ds: [a, b, o], cs: [ca, cb, co] } = await fleetUp(t, 2, { other: true });

	const r = rotateCluster(envs[0], ['--activate-in', '3600']);
	await installedEverywhere([ca, cb], r.kid);
	const genuine = rotations(redis)[0];
	const gen = (await stats(cb)).generation;
	const refusedBefore = (await stats(cb)).cluster_refused;
	const f = genuine.split(' ');
	/* f: agr1 FLEET ORIGIN k AT_MS KID ALG NONCE SEALED */
	const flip = (s, i) => s.slice(0, i) + (s[i] === 'A' ? 'B' : 'A') + s.slice(i + 1);
	const forged = {
		key: [...f.slice(0, 8), flip(f[8], 10)],
		instant: [...f.slice(0, 4), String(Number(f[4]) + 1000), ...f.slice(5)],
		kid: [...f.slice(0, 5), 'k20990101-000000-evil00', ...f.slice(6)],
	};
	for (const v of Object.values(forged))
		redis.cli('XADD', STREAM, '*', 'r', v.join(' '));
	/* the genuine one again: nothing changes */
	redis.cli('XADD', STREAM, '*', 'r', genuine);
	/* a rotation of the other fleet: a and b refuse it, and o refused
	 * a's */
	rotateCluster(other, ['--activate-in', '3600']);
	const last = redis.cli('XADD', STREAM, '*', 'x', 'y');
	await h.waitFor(async () => (await stats(cb)).cluster_last_id === last, { ...WAIT, what: 'b read everything' });

	const st = await stats(cb);
	assert.strictEqual(st.cluster_refused - refusedBefore, 4, 'the three altered ones and the other fleet\'s');
	assert.strictEqual(st.generation, gen, 'no keyring change on b');
	assert.deepStrictEqual(h.ok(await cb.call('keys')).keys.map((k) => k.kid), ['hs1', r.kid]);
	assert.deepStrictEqual(fs.readdirSync(path.join(envs[1].dir, 'keys')).filter((n) => !n.startsWith('hs1.')).map((n) => n.split('.')[0]), [r.kid], 'no file of a refused key');
	assert.match(b.stderr, /stream entry \d+-\d+ refused: its wrapped key does not open \(forged or altered/);
	assert.ok((await stats(co)).cluster_refused >= 1, 'the other fleet refused ours');
	assert.ok(!h.ok(await co.call('keys')).keys.some((k) => k.kid === r.kid));
	for (const d of [a, b])
		assert.doesNotMatch(d.stderr, /not installed/);
	for (const d of [a, b, o])
		await d.stop();
});

test('rotate without --cluster on a member refuses naming --cluster; rotate --cluster without [cluster] refuses', { timeout: h.TEST_TIMEOUT }, async (t) => {
	const { envs, ds } = await fleetUp(t, 1);
	const refused = ctl(envs[0], ['rotate']);
	assert.notStrictEqual(refused.status, 0);
	assert.match(refused.stderr, /this host is in a fleet .* agauthctl rotate --cluster/);

	const lone = h.setup();
	const d = await h.Daemon.start(lone);
	t.after(() => d.cleanup());
	const r = ctl(lone, ['rotate', '--cluster']);
	assert.notStrictEqual(r.status, 0);
	assert.match(r.stderr, /this host is not in a fleet \(no \[cluster\] in agauthd.conf\): rotate without --cluster/);
	assert.match(ctl(lone, ['rotate', '--activate-in', '5']).stderr, /--activate-in goes with --cluster/);
	assert.strictEqual(h.ok(await (await d.client()).call('keys')).keys.length, 1, 'no key was made');
	await d.stop();
	await ds[0].stop();
});
