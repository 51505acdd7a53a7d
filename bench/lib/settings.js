'use strict';
/*
 * settings.js - the Node benchmarks' environment variables, checked: a
 * value out of range stops the run with status 2 before anything starts.
 * BENCH_QUICK=1 (bench/run.sh's quick run, which checks the pipeline)
 * asks for small sizes: quick(small, full) picks the default.
 */

const QUICK = process.env.BENCH_QUICK === '1';

function quick(small, full) {
	return QUICK ? small : full;
}

/* process.env[name] as a number in [lo, hi], or def when unset. */
function envNumber(name, def, lo, hi) {
	const s = process.env[name];

	if (s === undefined || s === '')
		return def;
	const v = Number(s);

	if (!(v >= lo && v <= hi)) {
		process.stderr.write(`${name} must be a number in [${lo}, ${hi}]\n`);
		process.exit(2);
	}
	return v;
}

/* The same, an integer. */
function envInt(name, def, lo, hi) {
	const v = envNumber(name, def, lo, hi);

	if (!Number.isInteger(v)) {
		process.stderr.write(`${name} must be an integer\n`);
		process.exit(2);
	}
	return v;
}

/* A comma-separated list of integers in [lo, hi], or def when unset. */
function envInts(name, def, lo, hi) {
	const s = process.env[name];

	if (s === undefined || s === '')
		return def;
	const v = s.split(',').map(Number);

	if (!v.every((x) => Number.isInteger(x) && x >= lo && x <= hi)) {
		process.stderr.write(`${name} must be integers in [${lo}, ${hi}], comma-separated\n`);
		process.exit(2);
	}
	return v;
}

module.exports = { quick, envNumber, envInt, envInts };
