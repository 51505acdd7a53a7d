'use strict';
/*
 * app.js - the smallest app of the installed package (tests/npm/run.sh
 * copies it into the app directory, so that require('agauthd') is the
 * app's node_modules/agauthd): on a test daemon (the integration
 * harness, HARNESS), the engine is ready, attaches the cache with the
 * addon the install built, and a token agauthd signed verifies twice,
 * from the cache, as agauthd's counters show.  Prints what it saw; exits
 * non-zero on any failure.
 */
const assert = require('node:assert');
const path = require('node:path');

const h = require(process.env.HARNESS);

async function main() {
	const here = path.dirname(require.resolve('agauthd'));

	assert.strictEqual(here, path.join(__dirname, 'node_modules', 'agauthd'),
			   'agauthd is not the app\'s own copy');
	const { AuthEngine } = require('agauthd');
	const warnings = [];

	process.on('warning', (w) => warnings.push(w));
	const d = await h.Daemon.start(h.setup({}));
	const e = new AuthEngine({ socketPath: d.env.sock });

	try {
		await e.ready();
		await h.waitFor(() => e.cacheAttached, { what: 'the engine to attach the cache' });
		const token = await e.signToken({ user: 'alice' });
		const s0 = await e.stats();
		const v1 = await e.verifyToken(token, null, { algorithms: ['HS256'] });
		const v2 = await e.verifyToken(token, null, { algorithms: ['HS256'] });
		const s1 = await e.stats();

		assert.strictEqual(v1.user, 'alice');
		assert.deepStrictEqual(v2, v1);
		assert.strictEqual(s1.verifies, s0.verifies, 'a verify went to agauthd');
		assert.strictEqual(s1.cache_hits - s0.cache_hits, 2, 'agauthd did not count two hits');
		assert.deepStrictEqual(warnings.map((w) => w.code), [], 'warnings');
		console.log(`node ${process.version}: ready, cache attached, ` +
			    `${s1.cache_hits - s0.cache_hits} hits counted, no verify sent`);
	} finally {
		await e.close();
		await d.stop();
	}
}

main().catch((err) => {
	console.error(err);
	process.exit(1);
});
