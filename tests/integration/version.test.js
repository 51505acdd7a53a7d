'use strict';
/*
 * One version (VERSION at the top, through the Makefile): agauthd
 * --version, agauthctl --version, libagauth's agauth_version(), the npm
 * package's package.json (and its lock), agauth.pc and the man pages all
 * carry the same number, and no source spells one of its own.
 */
const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const h = require('./harness');

const at = (...p) => path.join(h.ROOT, ...p);
const VERSION = fs.readFileSync(at('VERSION'), 'utf8');

function stdout(cmd, args) {
	const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 20000 });
	assert.strictEqual(r.status, 0, `${cmd} ${args.join(' ')}: ${r.stderr}`);
	return r.stdout;
}

test('VERSION is one X.Y.Z line', () => {
	assert.match(VERSION, /^\d+\.\d+\.\d+\n$/);
});

test('agauthd, agauthctl, agauth_version(), the npm package, agauth.pc and the man pages agree', () => {
	const v = VERSION.trim();
	for (const d of [process.env.AGAUTHD || 'build/san/agauthd', 'build/agauthd']) {
		assert.strictEqual(stdout(at(d), ['--version']), `agauthd ${v}\n`, d);
		assert.strictEqual(stdout(at(d), ['-V']), `agauthd ${v}\n`, d);
		assert.match(stdout(at(d), ['-h']), /--version/);
	}
	assert.strictEqual(stdout(at('build/agauthctl'), ['--version']), `agauthctl ${v}\n`);
	assert.match(stdout(at('build/agauthctl'), ['--help']), /--version/);
	/* the shared library's export, as a C program would call it */
	assert.strictEqual(stdout('python3', ['-c', 'import ctypes, sys; l = ctypes.CDLL(sys.argv[1]); ' +
					   'l.agauth_version.restype = ctypes.c_char_p; print(l.agauth_version().decode())',
					   at('build/libagauth.so.1')]), `${v}\n`);
	const pkg = JSON.parse(fs.readFileSync(at('client/node/package.json'), 'utf8'));
	assert.strictEqual(pkg.version, v, 'client/node/package.json: make set-version VER=X.Y.Z');
	const lock = JSON.parse(fs.readFileSync(at('client/node/package-lock.json'), 'utf8'));
	assert.strictEqual(lock.version, v, 'client/node/package-lock.json');
	assert.strictEqual(lock.packages[''].version, v, 'client/node/package-lock.json');
	assert.match(fs.readFileSync(at('build/agauth.pc'), 'utf8'), new RegExp(`^Version: ${v.replace(/\./g, '\\.')}$`, 'm'));
	for (const page of ['agauthctl.1', 'agauthd.conf.5', 'agauthd.8']) {
		assert.match(fs.readFileSync(at('build/man', page), 'utf8'), new RegExp(`^\\.TH \\S+ \\d \\S+ "agauthd ${v.replace(/\./g, '\\.')}"`, 'm'), page);
		/* the source takes the number from VERSION, never its own */
		assert.match(fs.readFileSync(at('man', page), 'utf8'), /^\.TH \S+ \d \S+ "agauthd @VERSION@"/m, `man/${page}`);
	}
});
