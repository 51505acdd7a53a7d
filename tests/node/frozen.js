'use strict';
/*
 * frozen.js - runs a test file again, in a child process under
 * libfaketime with the clock frozen where the differential daemons'
 * clock is (tests/diff/plans.js, NOW_D).  The engine's cache checks
 * tokens against this process's clock and agauthd's heartbeat, so the
 * process must stand where the daemons stand; jsonwebtoken then sees the
 * same clock too.  Monotonic time runs (timers work).
 *
 *   if (require('./frozen').rerun(__filename)) return;   // first line
 *
 * The child writes the test runner's stream itself (stdio inherited);
 * this process only passes its exit status on.
 */
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');

const { FAKETIME_LIB, NOW_D, faketime } = require('../diff/plans');

const FLAG = 'AGAUTHD_FROZEN_CLOCK';

/* true if the file ran in the frozen child (the caller returns). */
function rerun(file) {
	if (process.env[FLAG] === '1')
		return false;
	if (!fs.existsSync(FAKETIME_LIB))
		throw new Error(`${FAKETIME_LIB} not found: apt-get install faketime, or set FAKETIME_LIB`);
	const preload = [process.env.LD_PRELOAD, FAKETIME_LIB].filter(Boolean).join(' ');
	const r = spawnSync(process.execPath, [...process.execArgv, file], {
		stdio: 'inherit',
		env: {
			...process.env, [FLAG]: '1', LD_PRELOAD: preload, TZ: 'UTC',
			FAKETIME: faketime(NOW_D), FAKETIME_DONT_FAKE_MONOTONIC: '1',
		},
	});

	process.exitCode = r.status === null ? 1 : r.status;
	return true;
}

module.exports = { rerun };
