'use strict';
/*
 * fleet.js - worker processes (verify_worker.js) verifying slices of a
 * token set together, as the workers of a SocketCluster host do when
 * every client reconnects at once.  Start-up (fork, module loading,
 * reading the tokens, attaching the cache) happens before the clock
 * starts; storm() times from "go" to every worker's last verify, and
 * the CPU time the workers spent meanwhile (each its own, from its go to
 * its last verify) and, given a BenchDaemon (lib/daemon.js), the
 * daemon's (from just before the go to just after the last reply), and
 * how busy the machine's CPUs were meanwhile, any process (lib/cpu.js).
 *
 *   const f = await Fleet.start(slices.map((s) => ({ kind, file, from, ... })));
 *   const { ops, seconds, workerCpu, daemonCpu, machineBusy } = await f.storm(1, daemon);
 *   await f.close();
 *
 * Any worker that fails, or exits when it should not, rejects what the
 * fleet is doing, and every other worker is killed.
 */
const { fork } = require('node:child_process');
const path = require('node:path');
const { performance } = require('node:perf_hooks');

const { machineWatch } = require('./cpu');

const WORKER = path.join(__dirname, 'verify_worker.js');
const STEP_MS = 600000;            /* no step of a benchmark takes longer */

class Fleet {
	constructor(inits) {
		this.procs = inits.map(() => fork(WORKER, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
		this.closing = false;
		this.waiters = this.procs.map(() => null);
		this.procs.forEach((p, k) => {
			p.on('message', (m) => this._message(k, m));
			p.on('error', (e) => this._fail(new Error(`worker ${k}: ${e.message}`)));
			p.on('exit', (code, sig) => {
				if (!this.closing || code !== 0)
					this._fail(new Error(`worker ${k} exited (${code ?? sig})`));
			});
		});
	}

	/* inits: one verify_worker init message each; resolves when every
	 * worker is ready */
	static async start(inits) {
		const f = new Fleet(inits);

		await f._all(inits.map((init) => ({ init })));
		return f;
	}

	_message(k, m) {
		if (m.error)
			return this._fail(new Error(`worker ${k}: ${m.error}`));
		const w = this.waiters[k];

		this.waiters[k] = null;
		if (w)
			w.resolve(m);
	}

	/* a failure anywhere ends the fleet */
	_fail(err) {
		for (const p of this.procs)
			if (p.exitCode === null)
				p.kill('SIGKILL');
		for (const w of this.waiters)
			if (w)
				w.reject(err);
		this.waiters.fill(null);
		this.failed = this.failed || err;
	}

	/* sends msgs[k] to worker k; resolves with every reply */
	_all(msgs) {
		if (this.failed)
			return Promise.reject(this.failed);
		const replies = this.procs.map((p, k) => new Promise((resolve, reject) => {
			this.waiters[k] = { resolve, reject };
			p.send(msgs[k]);
		}));
		let timer;
		const timeout = new Promise((_, reject) => {
			timer = setTimeout(() => reject(new Error(`workers: no reply within ${STEP_MS} ms`)), STEP_MS);
		});

		return Promise.race([Promise.all(replies), timeout]).finally(() => clearTimeout(timer));
	}

	/* every worker verifies its slice `rounds` times: {ops, seconds,
	 * workerCpu, daemonCpu, machineBusy}, CPU in seconds, daemonCpu
	 * only with a `daemon`, machineBusy a share (0 to 1) */
	async storm(rounds = 1, daemon = null) {
		const cpu = daemon && daemon.cpuWatch(), machine = machineWatch();
		const t0 = performance.now();
		const done = await this._all(this.procs.map(() => ({ go: rounds })));
		const seconds = (performance.now() - t0) / 1000;
		const daemonCpu = cpu ? cpu() : undefined;

		return { ops: done.reduce((s, m) => s + m.done, 0), seconds,
			 workerCpu: done.reduce((s, m) => s + m.cpuUs, 0) / 1e6, daemonCpu,
			 machineBusy: machine() };
	}

	/* closes every worker (their engines too) and waits for them */
	async close() {
		this.closing = true;
		const exits = this.procs.map((p) => (p.exitCode !== null ? null :
			new Promise((resolve) => p.once('exit', resolve))));

		for (const p of this.procs)
			if (p.connected && !this.failed)
				p.send({ close: true });
		await Promise.all(exits);
		if (this.failed)
			throw this.failed;
	}

	/* start, one storm per entry of `rounds`, close: [what storm()
	 * gives] */
	static async measure(inits, rounds, daemon = null) {
		const f = await Fleet.start(inits);
		const out = [];

		try {
			for (const r of rounds)
				out.push(await f.storm(r, daemon));
		} finally {
			await f.close().catch(() => {});      /* f.failed says why */
		}
		if (f.failed)
			throw f.failed;
		return out;
	}
}

module.exports = { Fleet };
