'use strict';
/*
 * daemon.js - an agauthd for a Node benchmark: the release build
 * (AGAUTHD, default build/agauthd) in a temporary directory of the
 * integration harness, with a SocketCluster authKey imported as its one
 * key (raw HS256, no kid: docs/operations.md), or a key pair of
 * tokens.keyPair() (its private PEM, no kid), a cache of `cacheSize`
 * bytes, preallocated (`[cache] preallocate = yes`, as
 * docs/operations.md advises a host that expects storms of new tokens:
 * the benchmarks' misses are such a storm), `threads` crypto threads (default 1; 0: one per CPU), and the
 * admin right for this user (for stats).  cpuWatch() times the CPU the
 * daemon spends (a storm's share: bench_storm.js).
 */
const fs = require('node:fs');

const { processWatch } = require('./cpu');

process.env.AGAUTHD = process.env.AGAUTHD || 'build/agauthd';
const h = require('../../tests/integration/harness');

const SLOT = 512;                  /* [cache] slot: the default */

/* bytes of cache that hold `tokens` tokens with `slotsPerToken` slots
 * each (docs/cache.md: buckets of 8 fill unevenly), in MiB */
function cacheSize(tokens, slotsPerToken) {
	return `${Math.max(64, Math.ceil(tokens * slotsPerToken * SLOT / 2 ** 20))}M`;
}

class BenchDaemon {
	/* resolves once the daemon answers */
	static async start({ authKey, pair, cacheSize: size, threads = 1 }) {
		if (!fs.existsSync(h.AGAUTHD))
			throw new Error(`${h.AGAUTHD} is missing: run make`);
		const b = new BenchDaemon();
		const env = h.setup({
			keys: [pair ?
				{ name: 'signer', material: pair.priv, algorithm: pair.alg, kid: '',
				  state: 'primary' } :
				{ name: 'socketcluster', material: authKey, encoding: 'raw',
				  algorithm: 'HS256', kid: '', state: 'primary' }],
			conf: {
				/* info: the harness waits for the ready line */
				daemon: { log_level: 'info', threads },
				cache: { size, preallocate: 'yes' },
				access: { admin: `uid:${process.getuid()}` },
			},
		});

		b.sock = env.sock;
		b.dir = env.dir;
		b.d = await h.Daemon.start(env);
		b.admin = await b.d.client();
		return b;
	}

	/* agauthd's counters (docs/protocol.md, stats) */
	async stats() {
		return h.ok(await this.admin.call('stats'), 'stats');
	}

	/* the daemon's CPU time from now, every thread of it: a function
	 * giving the seconds since (cpu.js) */
	cpuWatch() {
		return processWatch(this.d.pid);
	}

	/* SIGTERM; throws unless it exits cleanly */
	stop() {
		return this.d.stop();
	}
}

/* a fresh temporary directory, removed at exit */
function tmpdir(tag) {
	return h.tmpdir(tag);
}

module.exports = { BenchDaemon, cacheSize, tmpdir };
