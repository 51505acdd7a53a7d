'use strict';
/*
 * scrape.js OUTDIR - the metrics op's text, as tests/metrics/run.sh hands
 * it to promtool: first.prom (agauthctl metrics from a daemon that has
 * answered nothing yet), ctl.prom and engine.prom (agauthctl metrics and
 * engine.metrics() after requests of every kind and outcome: sign and
 * verify inline and on the pool, refusals, an unknown op, garbage, a
 * revocation, a rotation, a reload, cache hits).  The daemon is AGAUTHD
 * (tests/integration/harness.js), stopped as strictly as there.
 */
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const h = require('../integration/harness');
const { AuthEngine } = require(path.join(h.ROOT, 'client', 'node'));

const out = process.argv[2];

function ctlMetrics(env) {
	const r = spawnSync(h.AGAUTHCTL, ['--socket', env.sock, 'metrics'], { encoding: 'utf8' });

	if (r.status !== 0)
		throw new Error(`agauthctl metrics: exit ${r.status}: ${r.stderr}`);
	return r.stdout;
}

(async () => {
	const created = Math.floor(Date.now() / 1000) - 86400;
	const env = h.setup({ keys: [
		{ name: 'rs1', type: 'rsa2048', state: 'primary', created },
		{ name: 'es1', type: 'p256', created },
		{ name: 'hs1', type: 'hs256' },
	] });
	const d = await h.Daemon.start(env);

	fs.writeFileSync(path.join(out, 'first.prom'), ctlMetrics(env));
	const c = await d.client();
	const t = h.ok(await c.call('sign', { payload: '{"sub":"a","u":1}' })).token;
	h.ok(await c.call('verify', { token: t }));
	h.fails(await c.call('verify', { token: 'not.a.token' }), 'AG_E_INVALID_TOKEN');
	h.fails(await c.call('verify', { token: `${t.slice(0, -2)}AA` }), 'AG_E_BAD_SIGNATURE');
	h.fails(await c.call('launch', {}), 'AG_E_UNKNOWN_OP');
	h.ok(await c.call('revoke', { sub: 'a' }));
	h.fails(await c.call('verify', { token: t }), 'AG_E_REVOKED');
	h.ok(await c.call('rotate', {}));
	h.ok(await c.call('reload', {}));
	const e = new AuthEngine({ socketPath: env.sock });
	const t2 = await e.signToken({ u: 2 });
	await h.waitFor(() => e.cacheAttached, { what: 'the engine to attach the cache' });
	for (let i = 0; i < 3; i++)
		await e.verifyToken(t2);
	/* garbage ends its connection, after the rest was answered */
	const g = await h.Client.open(env.sock);
	g.write(h.frame(Buffer.from([0xc1])));
	await g.closed;
	fs.writeFileSync(path.join(out, 'engine.prom'), await e.metrics());
	fs.writeFileSync(path.join(out, 'ctl.prom'), ctlMetrics(env));
	await e.close();
	c.destroy();
	await d.stop();
})().catch((err) => {
	console.error(err.stack);
	process.exitCode = 1;
});
