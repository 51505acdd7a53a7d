'use strict';
/*
 * 10. Configuration and key files: `agauthd -t -c FILE` exits 78 on any
 * error and names the file (and line); a good configuration checks out.
 */
const test = require('node:test');
const assert = require('node:assert');
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const h = require('./harness');

const EX_CONFIG = 78;
const esc = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/* agauthd -t on env; asserts the exit status and stderr */
function checkFails(env, re, what) {
	const r = h.run(['-t', '-c', env.conf]);
	assert.strictEqual(r.status, EX_CONFIG, `${what}: exit ${r.status}, stderr: ${r.stderr}`);
	assert.match(r.stderr, re, `${what}`);
	assert.doesNotMatch(r.stderr, /Sanitizer|runtime error/);
	return r;
}

test('agauthd -t on a good configuration exits 0', { timeout: h.TEST_TIMEOUT }, () => {
	const env = h.setup({ keys: [
		{ name: 'hs1', type: 'hs256', state: 'primary' },
		{ name: 'rs1', type: 'rsa2048', state: 'verify', retire: '2030-01-01T00:00:00Z' },
		{ name: 'es1', type: 'p256', state: 'retired' },
	] });
	const r = h.run(['-t', '-c', env.conf]);
	assert.strictEqual(r.status, 0, r.stderr);
	assert.match(r.stdout, /are valid \(3 keys\)/);
	assert.ok(!fs.existsSync(env.sock), '-t created the socket');
});

test('bad agauthd.conf lines: exit 78, FILE:LINE: reason', { timeout: h.TEST_TIMEOUT }, async (t) => {
	const cases = [
		['unknown option', '[daemon]\nlog_level = info\ntreads = 4\n', 3, /unknown option 'treads' in \[daemon\]/],
		['unknown section', '[daemon]\nthreads = 1\n\n[nonsense]\nx = 1\n', 5, /unknown section \[nonsense\]; the sections are \[daemon\], /],
		['bad number', '[limits]\nmax_frame = lots\n', 2, /max_frame must be a whole number/],
		['number out of range', '[limits]\n\nmax_frame = 10\n', 3, /max_frame must be a whole number from 64 to 1048576/],
		['bad log level', '[daemon]\nlog_level = loud\n', 2, /log_level must be/],
		['bad mode', '[socket]\nmode = 999\n', 2, /octal mode/],
		['bad acl', '[access]\nsign = everyone\n', 2, /bad entry 'everyone'/],
		['bad bool', '[keys]\nallow_none = maybe\n', 2, /allow_none must be yes, no, true or false, not 'maybe'/],
		['syntax error', '[daemon\nthreads = 1\n', 1, /./],
		['socket path too long', `[socket]\npath = /tmp/${'s'.repeat(120)}\n`, 2, /socket path longer than 107 bytes/],
	];
	for (const [what, text, line, reason] of cases) {
		await t.test(what, () => {
			const env = h.setup();
			/* the key lines come after the broken part, so the line
			 * numbers are those of the text above */
			fs.writeFileSync(env.conf, `${text}\n[keys]\nkeyring = ${env.keyring}\n`);
			const r = checkFails(env, new RegExp(`${esc(env.conf)}:${line}: `), what);
			assert.match(r.stderr, reason);
			/* and without -t, the daemon refuses to start the same way */
			const r2 = h.run(['-c', env.conf], { timeout: 10000 });
			assert.strictEqual(r2.status, EX_CONFIG);
		});
	}
	await t.test('a configuration file that does not exist', () => {
		const r = h.run(['-t', '-c', '/nonexistent/agauthd.conf']);
		assert.strictEqual(r.status, EX_CONFIG);
		assert.match(r.stderr, /\/nonexistent\/agauthd\.conf: cannot read/);
	});
});

test('key files: mode, links, owner and the keyring are checked', { timeout: h.TEST_TIMEOUT }, async (t) => {
	/* each reason a key file is refused, through -t and through a
	 * start: exit 78 and the reason */
	const keyFileCases = [
		['mode 0640', (f) => fs.chmodSync(f, 0o640), (f) => `${esc(f)}: readable by group or others \\(mode 0640\\); chmod 600 it`],
		['mode 0604', (f) => fs.chmodSync(f, 0o604), (f) => `${esc(f)}: readable by group or others \\(mode 0604\\)`],
		['mode 0620', (f) => fs.chmodSync(f, 0o620), (f) => `${esc(f)}: writable by group or others \\(mode 0620\\)`],
		['mode 0610', (f) => fs.chmodSync(f, 0o610), (f) => `${esc(f)}: executable by group or others \\(mode 0610\\)`],
		['a symbolic link out of its directory', (f) => {
			const real = path.join(path.dirname(path.dirname(f)), 'real.key');
			fs.renameSync(f, real);
			fs.symlinkSync(real, f);
		}, (f) => `${esc(f)}: a symbolic link to .*/real\\.key, outside .*: a key file's link must stay inside its directory`],
		['owned by another user', (f) => fs.chownSync(f, 65534, 65534), (f) => `${esc(f)}: owned by nobody \\(uid 65534\\), but this agauthd runs as root and only reads files owned by root or by the user it runs as; if the service runs as nobody, check as that user: runuser -u nobody -- agauthd -t`],
		['a directory', (f) => {
			fs.rmSync(f);
			fs.mkdirSync(f, { mode: 0o700 });
		}, (f) => `${esc(f)}: not a regular file`],
		['a FIFO (the open must not wait for a writer)', (f) => {
			fs.rmSync(f);
			execFileSync('mkfifo', ['-m', '600', f]);
		}, (f) => `${esc(f)}: not a regular file`],
		['larger than 16 KiB', (f) => fs.writeFileSync(f, 'A'.repeat(16385)), (f) => `${esc(f)}: larger than 16384 bytes`],
		['missing', (f) => fs.rmSync(f), (f) => `${esc(f)}: No such file or directory`],
	];
	for (const [what, spoil, reason] of keyFileCases) {
		await t.test(`a key file that is ${what}: refused with the reason`, () => {
			const env = h.setup();
			spoil(env.keys.hs1.file);
			const re = new RegExp(reason(env.keys.hs1.file));
			checkFails(env, re, `${what}, -t`);
			const r = h.run(['-c', env.conf], { timeout: 10000 });
			assert.strictEqual(r.status, EX_CONFIG, `${what}, started: exit ${r.status}, ${r.stderr}`);
			assert.match(r.stderr, re, `${what}, started`);
			assert.ok(!fs.existsSync(env.sock), `${what}: the socket was made`);
		});
	}

	await t.test('two primaries are refused', () => {
		const env = h.setup({ keys: [
			{ name: 'a', type: 'hs256', state: 'primary' },
			{ name: 'b', type: 'hs256', state: 'primary' },
		] });
		checkFails(env, /more than one primary key \(a, b\)/, 'two primaries');
	});

	await t.test('ES256 with an RSA key is refused', () => {
		const env = h.setup({ keys: [{ name: 'x', type: 'rsa2048', algorithm: 'ES256', state: 'primary' }] });
		checkFails(env, new RegExp(`${esc(env.keys.x.file)}: not a key for ES256`), 'ES256 + RSA');
	});

	await t.test('ES384 with a P-256 key, and HS256 with a PEM key, are refused', () => {
		const env = h.setup({ keys: [{ name: 'x', type: 'p256', algorithm: 'ES384', state: 'verify' }] });
		checkFails(env, /not a key for ES384/, 'ES384 + P-256');
		const env2 = h.setup({ keys: [{ name: 'y', type: 'p256', algorithm: 'HS256', encoding: 'raw', state: 'primary' }] });
		checkFails(env2, /not a key for HS256/, 'HS256 + PEM');
	});

	await t.test('the same kid twice is refused', () => {
		const env = h.setup({ keys: [
			{ name: 'a', type: 'hs256', state: 'primary', kid: 'same' },
			{ name: 'b', type: 'hs256', state: 'verify', kid: 'same' },
		] });
		checkFails(env, /kid 'same' used twice/, 'duplicate kid');
	});

	await t.test('bad manifest values name the manifest line', () => {
		const env = h.setup();
		fs.appendFileSync(env.keyring, '[key z]\nfile = keys/hs1.key\nstate = sometimes\n');
		checkFails(env, new RegExp(`${esc(env.keyring)}:\\d+: \\[key z\\] bad state 'sometimes': want primary, verify or retired`), 'bad state');
		const env2 = h.setup();
		fs.appendFileSync(env2.keyring, '[key z/../x]\nfile = keys/hs1.key\n');
		checkFails(env2, /key name 'z\/\.\.\/x' must be/, 'bad key name');
	});

	await t.test('a base64 key file that is not base64 is refused', () => {
		const env = h.setup();
		fs.writeFileSync(env.keys.hs1.file, 'not*base64!');
		checkFails(env, new RegExp(`${esc(env.keys.hs1.file)}: not base64`), 'bad base64');
	});
});

test('agauthd keygen makes 0600 files and never overwrites one', { timeout: h.TEST_TIMEOUT }, () => {
	const dir = h.tmpdir();
	const f = path.join(dir, 'k.key');
	assert.strictEqual(h.run(['keygen', 'hs256', f]).status, 0);
	assert.strictEqual(fs.statSync(f).mode & 0o777, 0o600);
	const first = fs.readFileSync(f, 'utf8');
	assert.strictEqual(Buffer.from(first.trim(), 'base64').length, 32);
	const again = h.run(['keygen', 'hs256', f]);
	assert.notStrictEqual(again.status, 0);
	assert.strictEqual(fs.readFileSync(f, 'utf8'), first);
	assert.strictEqual(h.run(['keygen', 'hs256', f, '--force']).status, 0);
	assert.notStrictEqual(fs.readFileSync(f, 'utf8'), first);
	assert.notStrictEqual(h.run(['keygen', 'rsa1024', path.join(dir, 'x')]).status, 0);
});
