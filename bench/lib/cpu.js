'use strict';
/*
 * cpu.js - CPU time from /proc, for the storms (fleet.js): what one
 * process spends, every thread of it, and how busy the machine's CPUs
 * are with every process on them.  Each watch starts when made and
 * returns a function that reads it:
 *
 *   const spent = processWatch(pid), busy = machineWatch();
 *   ...
 *   spent()    seconds of CPU (user and system) pid used since
 *   busy()     the share of every CPU's time busy since (0 to 1)
 */
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');

let clkTck;

/* /proc/PID/stat's clock ticks per second, asked once when needed */
function ticks() {
	clkTck = clkTck || Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }));
	return clkTck;
}

/* utime + stime of the whole process (every thread, those ended too),
 * in seconds: /proc/PID/stat's fields 14 and 15, counted after the ')'
 * that ends the command name (which may hold spaces) */
function statCpu(pid) {
	const s = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
	const f = s.slice(s.lastIndexOf(')') + 2).split(' ');

	return (Number(f[11]) + Number(f[12])) / ticks();
}

/* tid -> ns on CPU of each thread now (the first field of its
 * schedstat: /proc/PID/schedstat alone is the main thread's, and
 * agauthd's crypto threads are others), or null when the kernel has no
 * schedstat or a thread ended while it was read */
function threadsCpu(pid) {
	const dir = `/proc/${pid}/task`;

	try {
		return new Map(fs.readdirSync(dir).map((tid) =>
			[tid, Number(fs.readFileSync(`${dir}/${tid}/schedstat`, 'utf8').split(' ')[0])]));
	} catch (e) {
		if (e.code !== 'ENOENT')
			throw e;
		return null;
	}
}

/*
 * The CPU time process `pid` spends from now, summed over its threads'
 * schedstat for ns resolution (stat counts in 1/CLK_TCK s, 10 ms here:
 * a storm's share would be a few ticks); from stat when schedstat is
 * missing or a thread ended meanwhile (its time went with it), a thread
 * started meanwhile counted from 0.
 */
function processWatch(pid) {
	const stat0 = statCpu(pid), t0 = threadsCpu(pid);

	return () => {
		const stat1 = statCpu(pid), t1 = threadsCpu(pid);

		if (!t0 || !t1 || [...t0.keys()].some((tid) => !t1.has(tid)))
			return stat1 - stat0;
		let ns = 0;

		for (const [tid, v] of t1)
			ns += v - (t0.get(tid) || 0);
		return ns / 1e9;
	};
}

/* [busy, all] ticks of every CPU together: /proc/stat's "cpu" line,
 * user nice system idle iowait irq softirq steal (guest time is in
 * user already); idle and iowait are not busy */
function machineTicks() {
	const f = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/)
		.slice(1, 9).map(Number);
	const all = f.reduce((s, x) => s + x, 0);

	return [all - f[3] - f[4], all];
}

/* the share of the machine's CPU time busy from now, any process (in
 * ticks: rough over a storm of tens of ms) */
function machineWatch() {
	const [b0, a0] = machineTicks();

	return () => {
		const [b1, a1] = machineTicks();

		return a1 > a0 ? (b1 - b0) / (a1 - a0) : 0;
	};
}

module.exports = { processWatch, machineWatch };
