'use strict';
/*
 * What agauthctl and agauthd say when something is wrong: each message
 * says what happened and what to do next (issue 16, part 6).
 *
 * - An empty token, as an argument or as all of standard input, is
 *   jsonwebtoken's `jwt must be provided`, from the daemon's verify op.
 * - With --json an error is printed on stdout only (man agauthctl).
 * - agauthd unreachable: check that it runs and what names its socket;
 *   the socket refused by its permissions: the group to join, and that
 *   workers must be restarted to have it.
 * - An expired token says when it expired (text only; --json keeps
 *   jsonwebtoken's fields).
 * - A refused right names the right and the peer's uid.
 * - keygen onto an existing file mentions --force.
 */
const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const jwt = require('jsonwebtoken');

const h = require('./harness');

const NOBODY = 65534;

/* agauthctl ARGS (with stdin input): { status, stdout, stderr }; with
 * uid, as that user (the copy forOthers() makes). */
function ctl(args, { input = '', uid, env = {} } = {}) {
	const bin = uid === undefined ? h.AGAUTHCTL : h.forOthers().agauthctl;
	const r = spawnSync(bin, args, {
		input, encoding: 'utf8', timeout: h.slow(20000), cwd: '/',
		env: { PATH: process.env.PATH, ...env },
		...(uid === undefined ? {} : { uid, gid: uid }),
	});
	if (r.error)
		throw r.error;
	return h.ownStderr(r);
}

test('an empty token is jwt must be provided, from agauthd, as jsonwebtoken says', { timeout: h.TEST_TIMEOUT }, async (t) => {
	const env = h.setup();
	const d = await h.Daemon.start(env);
	t.after(() => d.cleanup());
	const sock = ['--socket', env.sock];

	assert.throws(() => jwt.verify('', env.keys.hs1.secret),
		      { name: 'JsonWebTokenError', message: 'jwt must be provided' });
	/* the daemon's verify op answers it, so every client gets it */
	const c = await d.client();
	h.fails(await c.call('verify', { token: '' }), 'AG_E_JWT_MISSING',
		{ name: 'JsonWebTokenError', message: 'jwt must be provided' });
	for (const [what, args, input] of [
		['an empty argument', ['verify', ''], ''],
		['empty standard input', ['verify'], ''],
		['"-" and a newline on standard input', ['verify', '-'], '\n'],
	]) {
		const r = ctl([...sock, ...args], { input });
		assert.deepStrictEqual([r.status, r.stdout, r.stderr],
				       [1, '', 'JsonWebTokenError: jwt must be provided\n'], what);
		const j = ctl([...sock, '--json', ...args], { input });
		assert.strictEqual(j.status, 1, what);
		assert.deepStrictEqual(JSON.parse(j.stdout), { ok: false, code: 'AG_E_JWT_MISSING',
							       name: 'JsonWebTokenError', message: 'jwt must be provided' }, what);
		assert.strictEqual(j.stderr, '', `${what}: --json prints on stdout only`);
	}
	await d.stop();
});

test('with --json an error is on stdout only; without, on stderr only', { timeout: h.TEST_TIMEOUT }, async (t) => {
	const env = h.setup();
	const d = await h.Daemon.start(env);
	t.after(() => d.cleanup());

	const j = ctl(['--socket', env.sock, '--json', 'verify', 'abc']);
	assert.strictEqual(j.status, 1);
	assert.strictEqual(JSON.parse(j.stdout).message, 'jwt malformed');
	assert.strictEqual(j.stderr, '');
	const r = ctl(['--socket', env.sock, 'verify', 'abc']);
	assert.deepStrictEqual([r.status, r.stdout, r.stderr], [1, '', 'JsonWebTokenError: jwt malformed\n']);
	await d.stop();
});

test('agauthd unreachable: check that it runs and what names its socket', () => {
	const dir = h.tmpdir();
	const sock = path.join(dir, 'none.sock');
	const hint = 'check that agauthd runs (systemctl status agauthd) and that --socket or ' +
		     'AGAUTHD_SOCKET names its socket';

	for (const [what, args, env] of [
		['--socket', ['--socket', sock], {}],
		['AGAUTHD_SOCKET', [], { AGAUTHD_SOCKET: sock }],
	]) {
		const r = ctl([...args, 'ping'], { env });
		assert.strictEqual(r.status, 69, what);
		assert.strictEqual(r.stdout, '', what);
		assert.strictEqual(r.stderr, `AgauthError: cannot reach agauthd at ${sock}: ` +
				   `No such file or directory\n${hint}\n`, what);
		const j = ctl([...args, '--json', 'ping'], { env });
		assert.strictEqual(j.stderr, '', what);
		assert.deepStrictEqual(JSON.parse(j.stdout), {
			ok: false, code: 'AG_E_CONNECT', name: 'AgauthError',
			message: `cannot reach agauthd at ${sock}: No such file or directory`, hint,
		}, what);
	}
});

test('the socket refused by its permissions: the group to join, and restarting the workers', { timeout: h.TEST_TIMEOUT }, async (t) => {
	/* a group nobody is not in, named in /etc/group */
	const env = h.setup({ conf: { socket: { mode: '0660', group: 'adm' } } });
	const d = await h.Daemon.start(env);
	t.after(() => d.cleanup());

	const r = ctl(['--socket', env.sock, 'ping'], { uid: NOBODY });
	assert.strictEqual(r.status, 69, r.stderr);
	assert.strictEqual(r.stderr, `AgauthError: cannot reach agauthd at ${env.sock}: Permission denied\n` +
			   `permission denied: add this user to the group 'adm' of ${env.sock} ` +
			   '(usermod -aG adm USER), then log in again and restart the workers: ' +
			   'a running process keeps the groups it started with\n');
	/* a directory that hides the socket names its own group */
	const sub = path.join(env.dir, 'private');
	fs.mkdirSync(sub, { mode: 0o750 });
	fs.chownSync(sub, 0, 4 /* adm */);
	const hidden = path.join(sub, 'agauthd.sock');
	const r2 = ctl(['--socket', hidden, 'ping'], { uid: NOBODY });
	assert.strictEqual(r2.status, 69, r2.stderr);
	assert.match(r2.stderr, new RegExp(`\npermission denied: add this user to the group 'adm' of ${sub} `));
	await d.stop();
});

test('an expired token says when it expired; --json keeps jsonwebtoken\'s fields', { timeout: h.TEST_TIMEOUT }, async (t) => {
	const env = h.setup();
	const d = await h.Daemon.start(env);
	t.after(() => d.cleanup());
	const key = env.keys.hs1.secret;
	const expired = jwt.sign({ sub: 'alice', iat: 1699990000, exp: 1700000000 }, key, { keyid: 'hs1' });
	const early = jwt.sign({ sub: 'alice', nbf: 4102444800 }, key, { keyid: 'hs1' });

	let r = ctl(['--socket', env.sock, 'verify', expired]);
	assert.deepStrictEqual([r.status, r.stdout, r.stderr],
			       [2, '', 'TokenExpiredError: jwt expired at 2023-11-14T22:13:20Z\n']);
	r = ctl(['--socket', env.sock, '--json', 'verify', expired]);
	assert.strictEqual(r.stderr, '');
	assert.deepStrictEqual(JSON.parse(r.stdout), { ok: false, code: 'AG_E_EXPIRED',
						       name: 'TokenExpiredError', message: 'jwt expired', date: 1700000000 });
	r = ctl(['--socket', env.sock, 'verify', early]);
	assert.deepStrictEqual([r.status, r.stdout, r.stderr],
			       [3, '', 'NotBeforeError: jwt not active until 2100-01-01T00:00:00Z\n']);
	await d.stop();
});

test('a refused right names the right and the peer\'s uid', { timeout: h.TEST_TIMEOUT }, async (t) => {
	const env = h.setup({ conf: {
		socket: { mode: '0666' },
		access: { sign: 'uid:0', verify: '*', admin: 'uid:0' },
	} });
	const d = await h.Daemon.start(env);
	t.after(() => d.cleanup());
	const want = (right) => `uid ${NOBODY} (gid ${NOBODY}) lacks the ${right} right: add the user ` +
		`or one of its groups to '${right}' in [access] of agauthd.conf, then restart agauthd`;

	for (const [right, args] of [['sign', ['sign', '{}']], ['admin', ['stats']], ['admin', ['reload']]]) {
		const r = ctl(['--socket', env.sock, ...args], { uid: NOBODY });
		assert.deepStrictEqual([r.status, r.stdout, r.stderr], [4, '', `AgauthError: ${want(right)}\n`], args[0]);
	}
	await d.stop();
});

test('keygen onto an existing file says --force replaces it', () => {
	const dir = h.tmpdir();
	const file = path.join(dir, 'k.key');
	const before = fs.readFileSync(h.keygen('hs256', file));
	const why = `${file}: File exists; pass --force to replace it (the key it holds is then lost)`;

	const a = h.run(['keygen', 'hs256', file]);
	assert.deepStrictEqual([a.status, a.stderr], [1, `agauthd keygen: ${why}\n`]);
	const c = ctl(['keygen', '--type', 'hs256', '--out', file], { env: { AGAUTHD_BIN: h.AGAUTHD } });
	assert.strictEqual(c.status, 4, c.stderr);
	assert.strictEqual(c.stderr, `agauthd keygen: ${why}\n`);
	assert.deepStrictEqual(fs.readFileSync(file), before, 'the key is kept');
	const f = ctl(['keygen', '--type', 'hs256', '--out', file, '--force'], { env: { AGAUTHD_BIN: h.AGAUTHD } });
	assert.strictEqual(f.status, 0, f.stderr);
	assert.notDeepStrictEqual(fs.readFileSync(file), before, '--force replaced it');
});

test('keys and stats for a person by default, JSON with --json; help stats says what each counter means; ping --json rounded', { timeout: h.TEST_TIMEOUT }, async (t) => {
	const env = h.setup({ keys: [
		{ name: 'hs1', type: 'hs256', state: 'primary', created: 1767225600 },
		{ name: 'old', type: 'hs256', state: 'verify', kid: '', retire: 1893456000 },
	], conf: { access: { admin: '*' } } });
	const d = await h.Daemon.start(env);
	t.after(() => d.cleanup());
	const sock = ['--socket', env.sock];

	let r = ctl([...sock, '--json', 'keys']);
	const keys = JSON.parse(r.stdout);
	assert.strictEqual(keys.ok, true);
	assert.deepStrictEqual(keys.keys.map((k) => [k.name, k.kid, k.created, k.retire]),
			       [['hs1', 'hs1', 1767225600, 0], ['old', '', 0, 1893456000]]);
	/* (fingerprint.test.js checks the fingerprints themselves) */
	const fp = keys.keys.map((k) => k.fingerprint);
	assert.ok(fp.every((f) => /^HMAC-SHA256:[\w-]{43}$/.test(f)), fp.join(' '));
	r = ctl([...sock, 'keys']);
	assert.strictEqual(r.stderr, '');
	assert.strictEqual(r.stdout,
			   'NAME  KID  ALG    STATE    CREATED               RETIRES               ACTIVATES  FINGERPRINT\n' +
			   `hs1   hs1  HS256  primary  2026-01-01T00:00:00Z  never                 -          ${fp[0]}\n` +
			   `old   -    HS256  verify   never                 2030-01-01T00:00:00Z  -          ${fp[1]}\n` +
			   '2 keys\n');

	r = ctl([...sock, 'stats']);
	assert.strictEqual(r.stderr, '');
	const stats = JSON.parse(ctl([...sock, '--json', 'stats']).stdout).stats;
	const shown = r.stdout.trimEnd().split('\n');
	assert.deepStrictEqual(shown.map((l) => l.split(/ +/)[0]), Object.keys(stats), 'every counter, in order');
	for (const l of shown)
		assert.match(l, /^[a-z_]+ +\S/, l);
	assert.strictEqual(new Set(shown.map((l) => l.search(/ \S/))).size, 1, `one column:\n${r.stdout}`);
	assert.match(shown[0], /^uptime {11}\d+ s \(\d+ d \d\d:\d\d:\d\d\)$/);
	assert.match(r.stdout, /\ncache_bytes {6}67108864 \(64\.0 MiB\)\n/);
	const help = ctl(['help', 'stats']).stdout;
	for (const name of Object.keys(stats))
		assert.match(help, new RegExp(`\\n  ${name} +\\S`), `help stats: ${name}`);

	for (let i = 0; i < 5; i++) {
		const p = JSON.parse(ctl([...sock, '--json', 'ping']).stdout);
		assert.ok(p.ok && p.ms > 0 && Math.round(p.ms * 1000) / 1000 === p.ms, `ms ${p.ms}`);
	}
	await d.stop();
});
