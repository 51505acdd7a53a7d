'use strict';
/*
 * figures.js - the repository's benchmark lines:
 *
 *   <subject> <name> <median> <min> <max>
 *   <subject>-ratio <name> <median> <min> <max>
 *
 * from one value per repetition; a ratio is taken per repetition (a / b
 * of the same repetition), then summarised.  Other lines start with '#'.
 */
const os = require('node:os');

/* {med, min, max} of the values (the upper median for an even count, as
 * bench_peers.js takes it) */
function summary(xs) {
	const v = [...xs].sort((a, b) => a - b);

	return { med: v[v.length >> 1], min: v[0], max: v[v.length - 1] };
}

function line(subject, name, xs, digits = 0) {
	const s = summary(xs);
	const f = (x) => x.toFixed(digits);

	console.log(`${subject} ${name} ${f(s.med)} ${f(s.min)} ${f(s.max)}`);
	return s;
}

/* a / b per repetition, printed as <subject>-ratio; returns the summary */
function ratio(subject, name, as, bs) {
	return line(`${subject}-ratio`, name, as.map((a, i) => a / bs[i]), 2);
}

/* "# node vX, CPU, N CPUs" */
function machine() {
	const cpus = os.cpus();

	return `# node ${process.version}, ${cpus[0] ? cpus[0].model : 'unknown CPU'}, ` +
	       `${cpus.length} CPUs, ${Math.round(os.totalmem() / 2 ** 30)} GiB`;
}

module.exports = { summary, line, ratio, machine };
