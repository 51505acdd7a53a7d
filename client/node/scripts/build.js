'use strict';
/*
 * build.js - builds the addon with node-gyp (the one npm brings) against
 * the headers of the Node that runs
 * it, found beside its binary (PREFIX/bin/node: PREFIX/include/node, as
 * Debian and nodejs.org lay them out) unless npm_config_nodedir names
 * them: node-gyp downloads nothing.  The package's install script, and
 * `make`'s in a checkout, where warnings are errors.
 */
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const vendor = require('./vendor');

const PKG = path.resolve(__dirname, '..');

function fail(msg) {
	console.error(`agauthd: ${msg}`);
	process.exit(1);
}

/* node-gyp's script: the one npm runs scripts with, else the copy of
 * the npm installed beside this Node (a build run by hand). */
function nodeGyp() {
	const npmGyp = path.join(path.dirname(process.execPath), '..', 'lib', 'node_modules',
				 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
	const env = process.env.npm_config_node_gyp;

	if (env && fs.existsSync(env))
		return env;
	if (fs.existsSync(npmGyp))
		return npmGyp;
	return fail('node-gyp not found: build the addon with `npm install` (or `npm run ' +
		    'build` in the package), which hands npm\'s own node-gyp to this script');
}

/* The directory whose include/node holds this Node's headers. */
function nodeDir() {
	const given = process.env.npm_config_nodedir;
	const prefix = given || path.resolve(path.dirname(process.execPath), '..');

	if (!fs.existsSync(path.join(prefix, 'include', 'node', 'node_api.h')))
		fail(`no Node headers in ${path.join(prefix, 'include', 'node')} for ${process.execPath} ` +
		     `(${process.version}); install them (Debian's own nodejs: apt-get install libnode-dev) or ` +
		     'point npm_config_nodedir at a directory whose include/node holds them');
	return prefix;
}

function main() {
	const checkout = vendor.inCheckout();
	const env = { ...process.env };

	if (checkout) {
		vendor.copy();
		env.CFLAGS = `${env.CFLAGS || ''} -Werror`.trim();
	} else if (!fs.existsSync(path.join(PKG, 'vendor'))) {
		fail('vendor/ is missing: make the package with `npm pack` in client/node of a checkout');
	}
	/* the addon is C: gyp links with the C++ driver unless told */
	env.LINK = env.LINK || env.CC || 'cc';
	const args = [nodeGyp(), 'rebuild', `--nodedir=${nodeDir()}`];
	const quiet = !process.env.V;

	if (quiet)
		args.push('--loglevel=error');
	/* the compiler's complaints go to stderr; the progress only with V=1
	 * or when it failed */
	const r = spawnSync(process.execPath, args, {
		cwd: PKG, env, stdio: ['ignore', quiet ? 'pipe' : 'inherit', 'inherit'],
	});

	if (r.status !== 0 && quiet && r.stdout)
		process.stderr.write(r.stdout);
	if (r.status !== 0)
		fail('the native addon did not build (node-gyp needs python3, make and a C compiler: ' +
		     'Debian: apt-get install python3 make gcc); without it every verify goes to agauthd');
}

main();
