'use strict';
/*
 * pipeline.js - calls made `depth` at a time, each awaited (a value or a
 * promise), as many sockets' handshakes await verifyToken at once; every
 * result goes through check(i, result), which throws on a wrong one.
 */
const { performance } = require('node:perf_hooks');

/* op(i) for i in [0, n) */
async function pipeline(n, depth, op, check) {
	let next = 0;
	const lane = async () => {
		while (next < n) {
			const i = next++;

			check(i, await op(i));
		}
	};

	await Promise.all(Array.from({ length: Math.min(depth, n) }, lane));
}

/* op(i) for i = 0, 1, ... for `seconds`: ops/s */
async function pipelineFor(seconds, depth, op, check) {
	const end = performance.now() + seconds * 1000;
	let n = 0;
	const lane = async () => {
		while (performance.now() < end) {
			const i = n++;

			check(i, await op(i));
		}
	};
	const t0 = performance.now();

	await Promise.all(Array.from({ length: depth }, lane));
	return n / ((performance.now() - t0) / 1000);
}

module.exports = { pipeline, pipelineFor };
