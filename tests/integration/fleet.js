'use strict';
/*
 * fleet.js - a fleet of daemons for the tests of the fleet
 * (cluster.test.js: revocations; cluster_keys.test.js: keys): hosts a,
 * b, c... with one keyring, one fleet key and their own directories, on
 * a redis-server of redis.js.
 */
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const h = require('./harness');
const { Redis } = require('./redis');

const AGAUTHCTL = path.resolve(h.ROOT, process.env.AGAUTHCTL || 'build/agauthctl');
const STREAM = 'agauthd:revocations';
const WAIT = { timeout: h.slow(10000) };

function ctl(env, args) {
	const r = spawnSync(AGAUTHCTL, ['--socket', env.sock, ...args], { encoding: 'utf8', timeout: 20000 });
	if (r.error)
		throw r.error;
	return r;
}

/* 'hit', 'miss' or the error's message of a verify through the cache */
function cached(env, tok) {
	const j = JSON.parse(ctl(env, ['--json', 'verify', '--cache', tok]).stdout);
	return j.ok ? j.cache : j.message;
}

/* A fleet of n hosts a, b, c...: one keyring and one fleet key, each
 * with its own directory; cluster: extra [cluster] options. */
function fleet(redis, n, { cluster = {}, tcp = false } = {}) {
	const first = h.setup();
	const material = fs.readFileSync(first.keys.hs1.file);
	const key = path.join(h.tmpdir('fleet'), 'cluster.key');
	h.keygen('cluster', key);
	const envs = [];
	for (let i = 0; i < n; i++) {
		const name = String.fromCharCode(97 + i);
		envs.push(h.setup({
			keys: [{ name: 'hs1', type: 'hs256', state: 'primary', material }],
			conf: { cluster: { redis: tcp ? `127.0.0.1:${redis.port}` : redis.sock, key, name, ...cluster } },
		}));
	}
	return { envs, key };
}

async function startAll(t, envs) {
	const ds = [];
	for (const env of envs) {
		const d = await h.Daemon.start(env);
		t.after(() => d.cleanup());
		ds.push(d);
	}
	return ds;
}

/* Every host of envs up, connected to Redis: { ds, cs } (daemons and
 * clients). */
async function upAll(t, envs) {
	const ds = await startAll(t, envs);
	const cs = await Promise.all(ds.map((d) => d.client()));
	for (const [i, c] of cs.entries())
		await connected(c, `host ${i}`);
	return { ds, cs };
}

/* A test's fleet: a redis-server of its own (stopped after t, before
 * the daemons' cleanup), n hosts of fleet() on it, up and connected:
 * { redis, envs, other, ds, cs }.  redis: Redis.start's options; other:
 * one host of another fleet (its own fleet key) on the same Redis and
 * prefix, up too, last in ds and cs; cluster, tcp: as fleet's. */
async function fleetUp(t, n, { redis: redisOpts = {}, other = false, ...opts } = {}) {
	const redis = await Redis.start(redisOpts);
	t.after(() => redis.stop());
	const { envs } = fleet(redis, n, opts);
	const others = other ? fleet(redis, 1).envs : [];
	const { ds, cs } = await upAll(t, [...envs, ...others]);
	return { redis, envs, other: others[0], ds, cs };
}

/* A host that joins the fleet of env later: up, and its client. */
async function lateHost(t, env) {
	const late = h.setup({
		keys: [{ name: 'hs1', type: 'hs256', state: 'primary', material: fs.readFileSync(env.keys.hs1.file) }],
		conf: { cluster: { ...fleetConf(env), name: 'late' } },
	});
	const [dl] = await startAll(t, [late]);
	return { dl, cl: await dl.client() };
}

async function stats(c) {
	return h.ok(await c.call('stats'), 'stats');
}

async function connected(c, what) {
	await h.waitFor(async () => (await stats(c)).cluster_connected === true, { ...WAIT, what: `${what} connected to Redis` });
}

async function sign(c, payload) {
	return h.ok(await c.call('sign', { payload: JSON.stringify(payload), opts: '{"expiresIn":3600}' }), 'sign').token;
}

async function refused(c, tok, what) {
	await h.waitFor(async () => (await c.call('verify', { token: tok })).code === 'AG_E_REVOKED', { ...WAIT, what });
}

/* the [cluster] section of env's configuration */
function fleetConf(env) {
	const text = fs.readFileSync(env.conf, 'utf8');
	const sec = text.split('[cluster]\n')[1].split('\n\n')[0];
	return Object.fromEntries(sec.split('\n').filter((l) => l).map((l) => l.split(' = ')));
}

module.exports = { AGAUTHCTL, STREAM, WAIT, ctl, cached, fleet, fleetConf, startAll, upAll, fleetUp, lateHost, stats, connected, sign, refused };
