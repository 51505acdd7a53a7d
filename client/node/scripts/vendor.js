'use strict';
/*
 * vendor.js - the C sources the addon is built from, in vendor/: run by
 * `npm pack` (prepack) and by every build in a checkout, so that a
 * tarball carries them and a checkout builds from its own tree.
 *
 *   node scripts/vendor.js          copies them from the checkout, if
 *                                   this package is client/node of one
 *   node scripts/vendor.js --list   prints the sources binding.gyp
 *                                   compiles (for its <!@(...))
 *
 * What is copied is what the addon needs of libagauth and the shared
 * code, and xxHash's one header (the cache's bucket hash must be the one
 * agauthd computes); nothing of it is needed at run time but libc.  A
 * vendor/ of an older list is made anew.
 */
const fs = require('node:fs');
const path = require('node:path');

const PKG = path.resolve(__dirname, '..');
const ROOT = path.resolve(PKG, '..', '..');
const VENDOR = path.join(PKG, 'vendor');
/* the system's copy of xxHash, the one agauthd is built with */
const XXHASH = process.env.AGAUTHD_XXHASH_H || '/usr/include/xxhash.h';

/*
 * The files, by directory of the checkout: [dir, sources (.c), headers].
 * The cache's reader with the claim checks it runs (cacheread, and the
 * shared code under it), the socket (usock), statuses: nothing of the
 * protocol, which JavaScript speaks, so no msgpack-c.
 */
const FILES = [
	['shared', [
		'agerr.c', 'algs.c', 'b64url.c', 'buf.c', 'cache.c',
		'cache_hash.c', 'claims.c', 'frame.c', 'json.c', 'json_write.c',
		'jwt.c', 'timespan.c', 'vopts.c',
	], [
		'agerr.h', 'algs.h', 'b64url.h', 'buf.h', 'cache.h', 'claims.h',
		'frame.h', 'json.h', 'jwt.h', 'limits.h', 'timespan.h', 'vopts.h',
	]],
	['client/lib', ['cacheread.c', 'status.c', 'usock.c'],
	 ['agauth.h', 'cacheread.h', 'status.h', 'usock.h']],
];

/* Whether this package is client/node of a checkout (not, say, an app
 * whose root happens to hold a shared/). */
function inCheckout() {
	try {
		return fs.realpathSync(path.join(ROOT, 'client', 'node')) ===
			fs.realpathSync(PKG) &&
			fs.existsSync(path.join(ROOT, 'shared', 'limits.h'));
	} catch (e) {
		return false;
	}
}

function sources() {
	return FILES.flatMap(([dir, c]) => c.map((f) => path.posix.join('vendor', dir, f)));
}

/* Copies the files in, afresh. */
function copy() {
	const put = (from, to) => {
		fs.mkdirSync(path.dirname(to), { recursive: true });
		fs.copyFileSync(from, to);
	};

	/* nothing of another list may linger and be compiled */
	fs.rmSync(VENDOR, { recursive: true, force: true });
	for (const [dir, c, h] of FILES)
		for (const f of [...c, ...h])
			put(path.join(ROOT, dir, f), path.join(VENDOR, dir, f));
	put(XXHASH, path.join(VENDOR, 'xxhash.h'));
}

if (require.main === module) {
	if (process.argv[2] === '--list')
		console.log(sources().join('\n'));
	else if (inCheckout())
		copy();
	else if (!fs.existsSync(VENDOR)) {
		console.error('agauthd: vendor/ is missing and this is no checkout to copy ' +
			      'it from: make the package with `npm pack` in client/node');
		process.exit(1);
	}
}

module.exports = { inCheckout, copy, sources };
