'use strict';
/*
 * The cache, revocations and watches across daemon restarts, against real
 * daemons: a libagauth client (build/cache_client, one handle kept for the
 * whole test) stops hitting when its daemon stops or dies and hits the new
 * daemon's cache after a restart, and never answers from a dead daemon's
 * cache a token the new one revoked; revocations survive SIGTERM and
 * SIGKILL; a revocations file that cannot be written (chattr +i, a full
 * tmpfs, RLIMIT_FSIZE) makes revoke answer AG_E_STATE while the
 * revocation holds, loses nothing written before, and the record is
 * written once it can be; sign fills the cache; the cache's size and its
 * configuration errors; a watch ends with its daemon and a new one sees
 * later events.  The mechanisms that need root or a file system that
 * supports them (chattr, mount, prlimit) are probed, and the test is
 * skipped with the reason if one does not work.
 */
const test = require('node:test');
const assert = require('node:assert');
const { spawnSync, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const jwt = require('jsonwebtoken');

const h = require('./harness');

const AGAUTHCTL = path.resolve(h.ROOT, process.env.AGAUTHCTL || 'build/agauthctl');
const EX_CONFIG = 78;
/* a reader's stale bound after the daemon's last heartbeat
 * (shared/cache.h CACHE_STALE_MS) */
const CACHE_STALE_MS = 2000;
const REVOKED = { name: 'JsonWebTokenError', message: 'jwt revoked' };
const esc = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/* agauthctl --socket SOCK ARGS... to completion. */
function ctl(env, args, input) {
	const r = spawnSync(AGAUTHCTL, ['--socket', env.sock, ...args],
			    { encoding: 'utf8', timeout: 20000, input });
	if (r.error)
		throw r.error;
	return r;
}

/* agauthctl --json ...: { status, json, stderr }. */
function ctlJson(env, args) {
	const r = ctl(env, ['--json', ...args]);
	let json;
	try {
		json = JSON.parse(r.stdout);
	} catch (e) {
		assert.fail(`agauthctl ${args.join(' ')}: not JSON on stdout: ${r.stdout} ${r.stderr}`);
	}
	return { status: r.status, json, stderr: r.stderr };
}

/* A token agauthd signs (an hour's lifetime). */
async function sign(c, payload) {
	return h.ok(await c.call('sign', { payload: JSON.stringify(payload), opts: '{"expiresIn":"1h"}' }), 'sign').token;
}

async function stats(c) {
	return h.ok(await c.call('stats'), 'stats');
}

async function revoke(c, args) {
	return h.ok(await c.call('revoke', args), `revoke ${h.show(args)}`);
}

/*
 * build/cache_client on env.sock: one libagauth handle for its whole
 * life.  cmd(line) resolves with its one-line answer.
 */

/* Stops d with sig: SIGTERM (a clean stop, status 0) or SIGKILL. */
async function down(d, sig) {
	if (sig === 'SIGTERM')
		return d.stop();
	d.signal('SIGKILL');
	const ex = await d.waitExit(10000);
	assert.deepStrictEqual(ex, { code: null, signal: 'SIGKILL' });
	d.assertClean();
	return ex;
}

// ------------------------------------------------------------- restarts

test('restart after SIGTERM: the cache closes at once, the client re-attaches to the new one', { timeout: h.TEST_TIMEOUT }, async (t) => {
	const env = h.setup();
	let d = await h.Daemon.start(env);
	t.after(() => d.cleanup());
	let c = await d.client();
	const inst1 = c.hello.cache;
	assert.ok(inst1 > 0, `hello names no cache: ${h.show(c.hello)}`);
	const tok = await sign(c, { sub: 'alice' });

	const cc = await h.CacheClient.start(env.sock);
	t.after(() => cc.close());
	assert.strictEqual(await cc.cmd('attach'), 'ok');
	assert.strictEqual(await cc.hit(tok, 'lookup'), 'hit');
	assert.strictEqual(await cc.hit(tok), 'hit');
	/* the two hits go to this daemon's stats, not the next one's */
	assert.strictEqual(await cc.cmd('ping'), 'ok');

	await d.stop();
	/* closed before the daemon stopped listening: the very next lookup
	 * misses, and a verify has nobody to ask */
	assert.strictEqual(await cc.cmd(`lookup ${tok}`), 'miss');
	assert.match(await cc.cmd(`verify ${tok}`), /^error UNREACHABLE /);
	assert.strictEqual(await cc.cmd(`lookup ${tok}`), 'miss');

	d = await h.Daemon.start(env);
	c = await d.client();
	const inst2 = c.hello.cache;
	assert.ok(inst2 > 0 && inst2 !== inst1, `cache instance ${inst1} -> ${inst2}`);
	const st0 = await stats(c);
	/* the new cache does not hold tok: the daemon answers it (a hit here
	 * would come from the old daemon's cache), then it is a hit */
	assert.strictEqual(await cc.cmd(`verify ${tok}`), 'ok');
	assert.strictEqual(await cc.hit(tok), 'hit');
	const fresh = await sign(c, { sub: 'bob' });
	assert.strictEqual(await cc.hit(fresh, 'lookup'), 'hit');
	assert.strictEqual(await cc.cmd('ping'), 'ok');
	const st1 = await stats(c);
	assert.strictEqual(st1.verifies - st0.verifies, 1, 'one verify reached the new daemon');
	assert.strictEqual(st1.cache_hits - st0.cache_hits, 2, h.show(st1));
	assert.strictEqual(st1.cache_misses - st0.cache_misses, 1, h.show(st1));

	/* what the new daemon revokes, the re-attached client refuses */
	await revoke(c, { token: tok });
	assert.strictEqual(await cc.cmd(`lookup ${tok}`), 'miss');
	assert.strictEqual(await cc.cmd(`verify ${tok}`), 'error INVALID AG_E_REVOKED JsonWebTokenError: jwt revoked');
	await d.stop();
});

test('restart after SIGKILL: lookups stop hitting 2 s after the last heartbeat, and hit the new daemon\'s cache after', { timeout: h.TEST_TIMEOUT }, async (t) => {
	const env = h.setup();
	let d = await h.Daemon.start(env);
	t.after(() => d.cleanup());
	let c = await d.client();
	const inst1 = c.hello.cache;
	const tok = await sign(c, { sub: 'alice' });

	const cc = await h.CacheClient.start(env.sock);
	t.after(() => cc.close());
	assert.strictEqual(await cc.cmd('attach'), 'ok');
	assert.strictEqual(await cc.hit(tok), 'hit');

	d.signal('SIGKILL');
	/* the last heartbeat the daemon wrote is older than t0: a lookup
	 * begun more than CACHE_STALE_MS after t0 must not hit, however late
	 * the machine lets this loop run (a late lookup misses, later) */
	const t0 = Date.now();
	await d.waitExit(10000);
	let hits = 0;
	let r;
	for (;;) {
		const sent = Date.now();
		r = await cc.cmd(`lookup ${tok}`);
		if (r !== 'hit')
			break;
		assert.ok(sent - t0 <= CACHE_STALE_MS + 5, `a lookup begun ${sent - t0} ms after SIGKILL hit`);
		hits++;
		await h.sleep(20);
	}
	const ms = Date.now() - t0;
	assert.strictEqual(r, 'miss', `lookup ${ms} ms after SIGKILL`);
	t.diagnostic(`first miss ${ms} ms after SIGKILL (${hits} hits before it)`);
	/* and it stays a miss */
	await h.sleep(300);
	assert.strictEqual(await cc.cmd(`lookup ${tok}`), 'miss');
	assert.match(await cc.cmd(`verify ${tok}`), /^error UNREACHABLE /);

	const t1 = Date.now();
	d = await h.Daemon.start(env);
	c = await d.client();
	assert.ok(c.hello.cache > 0 && c.hello.cache !== inst1, `cache instance ${inst1} -> ${c.hello.cache}`);
	assert.strictEqual(await cc.cmd(`verify ${tok}`), 'ok');
	assert.strictEqual(await cc.hit(tok), 'hit');
	t.diagnostic(`restarted and hitting again ${Date.now() - t1} ms later`);
	await d.stop();
});

test('a token the restarted daemon revokes is never a hit in the killed daemon\'s cache', { timeout: h.TEST_TIMEOUT }, async (t) => {
	/* docs/cache.md: "nothing a new daemon revokes can be answered from
	 * the old cache".  A restart after SIGKILL can be quicker than the
	 * 2 s the dead cache's heartbeat takes to go stale. */
	const env = h.setup();
	let d = await h.Daemon.start(env);
	t.after(() => d.cleanup());
	let c = await d.client();
	const tok = await sign(c, { sub: 'alice' });
	const cc = await h.CacheClient.start(env.sock);
	t.after(() => cc.close());
	assert.strictEqual(await cc.cmd('attach'), 'ok');
	assert.strictEqual(await cc.hit(tok), 'hit');

	d.signal('SIGKILL');
	const t0 = Date.now();
	await d.waitExit(10000);
	d = await h.Daemon.start(env);
	c = await d.client();
	const r = await c.call('revoke', { token: tok });
	const t1 = Date.now();
	t.diagnostic(`revoke answered ${t1 - t0} ms after SIGKILL: ${h.show(r)}`);
	/* whatever revoke answered, once it has the token is not a hit */
	assert.notStrictEqual(await cc.cmd(`lookup ${tok}`), 'hit',
			      `the dead daemon's cache answered a token revoked ${Date.now() - t0} ms after SIGKILL`);
	assert.match(await cc.cmd(`verify ${tok}`), /^error INVALID AG_E_REVOKED |^error REFUSED AG_E_BUSY /);
	await d.stop();
});

// ---------------------------------------------------------- revocations

for (const sig of ['SIGTERM', 'SIGKILL']) {
	test(`revocations of a subject, a jti and a token survive a restart after ${sig}`, { timeout: h.TEST_TIMEOUT }, async (t) => {
		const env = h.setup();
		let d = await h.Daemon.start(env);
		t.after(() => d.cleanup());
		let c = await d.client();
		const alice = await sign(c, { sub: 'alice' });
		const bob = await sign(c, { sub: 'bob' });
		const erin1 = await sign(c, { sub: 'erin', jti: 'j-1' });
		const erin2 = await sign(c, { sub: 'erin', jti: 'j-2' });
		const frank1 = await sign(c, { sub: 'frank', n: 1 });
		const frank2 = await sign(c, { sub: 'frank', n: 2 });

		const at = (await revoke(c, { sub: 'alice' })).at;
		const r = ctl(env, ['revoke', '--jti', 'j-1']);
		assert.strictEqual(r.status, 0, r.stderr);
		await revoke(c, { token: frank1 });

		/* a subject revocation covers tokens issued up to its second:
		 * the boundary must survive the restart as well */
		const s = Math.floor(at);
		const key = env.keys.hs1.secret;
		const aliceAt = jwt.sign({ sub: 'alice', iat: s }, key, { algorithm: 'HS256', keyid: 'hs1', expiresIn: '1h' });
		const aliceAfter = jwt.sign({ sub: 'alice', iat: s + 1 }, key, { algorithm: 'HS256', keyid: 'hs1', expiresIn: '1h' });
		const revoked = { alice, erin1, frank1, aliceAt };
		const valid = { bob, erin2, frank2, aliceAfter };
		const check = async (when) => {
			for (const [name, tok] of Object.entries(revoked))
				h.fails(await c.call('verify', { token: tok }), 'AG_E_REVOKED', { ...REVOKED, what: `${when}: ${name}` });
			for (const [name, tok] of Object.entries(valid))
				h.ok(await c.call('verify', { token: tok }), `${when}: ${name}`);
		};
		await check('before the restart');

		await down(d, sig);
		const log = fs.readFileSync(path.join(env.dir, 'revocations'), 'utf8');
		assert.deepStrictEqual(log.split('\n').map((l) => l.split(' ').slice(0, 2).join(' ')),
				       ['v1 s', 'v1 j', 'v1 t', ''], log);
		d = await h.Daemon.start(env);
		c = await d.client();
		assert.match(d.stderr, /3 revocations in force/);
		assert.strictEqual((await stats(c)).revocations, 3);
		await check(`after ${sig}`);
		/* and through libagauth's cache: a revoked token is never
		 * inserted, so never a hit */
		const cc = await h.CacheClient.start(env.sock);
		t.after(() => cc.close());
		assert.strictEqual(await cc.cmd('attach'), 'ok');
		for (const tok of Object.values(revoked)) {
			assert.strictEqual(await cc.cmd(`verify ${tok}`), 'error INVALID AG_E_REVOKED JsonWebTokenError: jwt revoked');
			assert.strictEqual(await cc.cmd(`lookup ${tok}`), 'miss');
		}
		/* check() had this daemon verify the valid ones */
		for (const tok of Object.values(valid))
			assert.strictEqual(await cc.hit(tok), 'hit');
		await d.stop();
	});
}

/* Whether `chattr +i` works in dir and stops writes through a descriptor
 * opened before: null, or why not. */
function immutableWorks(dir) {
	const f = path.join(dir, 'chattr-probe');
	const fd = fs.openSync(f, 'w+');
	try {
		const r = spawnSync('chattr', ['+i', f], { encoding: 'utf8' });
		if (r.error || r.status !== 0)
			return `chattr +i does not work here: ${r.error ? r.error.message : r.stderr.trim()}`;
		try {
			fs.writeSync(fd, 'x', 0);
			return `chattr +i does not stop writes on ${dir}'s file system`;
		} catch (e) {
			return e.code === 'EPERM' ? null : `a write to an immutable file failed with ${e.code}`;
		}
	} finally {
		spawnSync('chattr', ['-i', f]);
		fs.closeSync(fd);
		fs.rmSync(f, { force: true });
	}
}

function chattr(flag, file) {
	execFileSync('chattr', [flag, file]);
}

/* A daemon directory whose state directory is dir/state. */
function stateSetup() {
	const dir = h.tmpdir();
	const state = path.join(dir, 'state');
	fs.mkdirSync(state, { mode: 0o700 });
	const env = h.setup({ dir, conf: { daemon: { state_dir: state } } });
	env.state = state;
	env.log = path.join(state, 'revocations');
	return env;
}

const lines = (b) => b.toString('utf8').split('\n').filter((l) => l !== '');

test('an unwritable revocations file: AG_E_STATE naming the file and the reason, in force anyway, written once it can be', { timeout: h.TEST_TIMEOUT }, async (t) => {
	const env = stateSetup();
	const why = immutableWorks(env.state);
	if (why) {
		t.skip(why);
		return;
	}
	let d = await h.Daemon.start(env);
	t.after(() => d.cleanup());
	t.after(() => spawnSync('chattr', ['-i', env.log]));
	let c = await d.client();
	const tok = {};
	for (const u of ['alice', 'bob', 'carol', 'zed'])
		tok[u] = await sign(c, { sub: u });
	tok.dave = await sign(c, { sub: 'dave', jti: 'j-9' });

	await revoke(c, { sub: 'alice' });
	const before = fs.readFileSync(env.log);
	assert.strictEqual(lines(before).length, 1);

	chattr('+i', env.log);
	const reason = new RegExp(`^revoked, but not persisted: ${esc(env.log)}: Operation not permitted$`);
	h.fails(await c.call('revoke', { sub: 'bob' }), 'AG_E_STATE', { name: 'AgauthError', message: reason });
	/* agauthctl says so too, and does not claim success */
	const r = ctl(env, ['revoke', '--jti', 'j-9']);
	assert.notStrictEqual(r.status, 0, r.stdout);
	assert.match(r.stderr, new RegExp(`${esc(env.log)}: Operation not permitted`));
	/* in force all the same, the earlier one too; nothing else changed */
	for (const u of ['alice', 'bob', 'dave'])
		h.fails(await c.call('verify', { token: tok[u] }), 'AG_E_REVOKED', { ...REVOKED, what: u });
	for (const u of ['carol', 'zed'])
		h.ok(await c.call('verify', { token: tok[u] }), u);
	assert.strictEqual((await stats(c)).revocations, 3);
	assert.deepStrictEqual(fs.readFileSync(env.log), before, 'the log changed while it could not be written');

	/* writable again: the next revoke writes the two pending records
	 * and its own */
	chattr('-i', env.log);
	await revoke(c, { sub: 'carol' });
	const after = fs.readFileSync(env.log);
	assert.deepStrictEqual(after.subarray(0, before.length), before);
	assert.deepStrictEqual(lines(after).map((l) => l.split(' ')[1]), ['s', 's', 'j', 's']);

	await d.stop();
	d = await h.Daemon.start(env);
	c = await d.client();
	assert.strictEqual((await stats(c)).revocations, 4);
	for (const u of ['alice', 'bob', 'carol', 'dave'])
		h.fails(await c.call('verify', { token: tok[u] }), 'AG_E_REVOKED', { ...REVOKED, what: `after the restart: ${u}` });
	h.ok(await c.call('verify', { token: tok.zed }), 'zed');
	await d.stop();
});

test('an unwritable revocations file, then SIGKILL: the records written before are intact', { timeout: h.TEST_TIMEOUT }, async (t) => {
	const env = stateSetup();
	const why = immutableWorks(env.state);
	if (why) {
		t.skip(why);
		return;
	}
	let d = await h.Daemon.start(env);
	t.after(() => d.cleanup());
	t.after(() => spawnSync('chattr', ['-i', env.log]));
	let c = await d.client();
	const alice = await sign(c, { sub: 'alice' });
	const bob = await sign(c, { sub: 'bob' });
	await revoke(c, { sub: 'alice' });
	const before = fs.readFileSync(env.log);

	chattr('+i', env.log);
	h.fails(await c.call('revoke', { sub: 'bob' }), 'AG_E_STATE', { message: new RegExp(esc(env.log)) });
	h.fails(await c.call('verify', { token: bob }), 'AG_E_REVOKED', REVOKED);
	await down(d, 'SIGKILL');

	/* a log it cannot open for writing: agauthd refuses to start rather
	 * than run without it */
	const refused = await h.Daemon.start(env, { wait: false });
	const ex = await refused.waitExit(15000);
	assert.notStrictEqual(ex.code, 0, 'agauthd started with an unwritable revocations file');
	assert.match(refused.stderr, new RegExp(`${esc(env.log)}: Operation not permitted`));
	refused.assertClean();

	chattr('-i', env.log);
	assert.deepStrictEqual(fs.readFileSync(env.log), before);
	d = await h.Daemon.start(env);
	c = await d.client();
	assert.strictEqual((await stats(c)).revocations, 1);
	h.fails(await c.call('verify', { token: alice }), 'AG_E_REVOKED', REVOKED);
	/* docs/protocol.md: a revocation that could not be persisted holds
	 * "until a restart" */
	h.ok(await c.call('verify', { token: bob }), 'bob after the restart');
	await d.stop();
});

test('a full state directory (ENOSPC on a tmpfs): the torn append is cut off, later revokes write every pending record', { timeout: h.TEST_TIMEOUT }, async (t) => {
	const dir = h.tmpdir();
	const state = path.join(dir, 'state');
	fs.mkdirSync(state, { mode: 0o700 });
	const m = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k,mode=0700', 'tmpfs', state], { encoding: 'utf8' });
	if (m.error || m.status !== 0) {
		t.skip(`cannot mount a tmpfs here: ${m.error ? m.error.message : m.stderr.trim()}`);
		return;
	}
	t.after(() => spawnSync('umount', ['-l', state]));
	const env = h.setup({ dir, conf: { daemon: { state_dir: state } } });
	const log = path.join(state, 'revocations');
	let d = await h.Daemon.start(env);
	t.after(() => d.cleanup());
	let c = await d.client();
	/* a record longer than a page: its append cannot fit in the log's
	 * last page, and part of it can */
	const big = `J${'x'.repeat(6000)}`;
	const tok = {};
	for (const u of ['alice', 'bob', 'carol', 'zed'])
		tok[u] = await sign(c, { sub: u });
	tok.dave = await sign(c, { sub: 'dave', jti: big });
	await revoke(c, { sub: 'alice' });
	const before = fs.readFileSync(log);

	const filler = path.join(state, 'filler');
	const fd = fs.openSync(filler, 'w');
	try {
		for (;;)
			fs.writeSync(fd, Buffer.alloc(4096, 1));
	} catch (e) {
		assert.strictEqual(e.code, 'ENOSPC');
	} finally {
		fs.closeSync(fd);
	}
	const full = new RegExp(`^revoked, but not persisted: ${esc(log)}: No space left on device$`);
	h.fails(await c.call('revoke', { jti: big }), 'AG_E_STATE', { message: full });
	/* bob's record would fit, but it queues behind the pending one */
	h.fails(await c.call('revoke', { sub: 'bob' }), 'AG_E_STATE', { message: full });
	assert.deepStrictEqual(fs.readFileSync(log), before, 'a torn record was left in the log');
	for (const u of ['alice', 'bob', 'dave'])
		h.fails(await c.call('verify', { token: tok[u] }), 'AG_E_REVOKED', { ...REVOKED, what: u });

	fs.rmSync(filler);
	await revoke(c, { sub: 'carol' });
	const after = fs.readFileSync(log);
	assert.deepStrictEqual(after.subarray(0, before.length), before);
	assert.deepStrictEqual(lines(after).map((l) => l.split(' ')[1]), ['s', 'j', 's', 's']);

	await down(d, 'SIGKILL');
	d = await h.Daemon.start(env);
	c = await d.client();
	assert.strictEqual((await stats(c)).revocations, 4);
	for (const u of ['alice', 'bob', 'carol', 'dave'])
		h.fails(await c.call('verify', { token: tok[u] }), 'AG_E_REVOKED', { ...REVOKED, what: `after the restart: ${u}` });
	h.ok(await c.call('verify', { token: tok.zed }), 'zed');
	await d.stop();
});

test('a file-size limit on agauthd (RLIMIT_FSIZE): AG_E_STATE "File too large", and the daemon lives on', { timeout: h.TEST_TIMEOUT }, async (t) => {
	const env = h.setup();
	let d = await h.Daemon.start(env);
	t.after(() => d.cleanup());
	let c = await d.client();
	const alice = await sign(c, { sub: 'alice' });
	const bob = await sign(c, { sub: 'bob' });
	await revoke(c, { sub: 'alice' });
	const log = path.join(env.dir, 'revocations');
	const before = fs.readFileSync(log);
	/* room for a few bytes more: the next append is torn, then refused */
	const p = spawnSync('prlimit', ['--pid', String(d.pid), `--fsize=${before.length + 10}:`], { encoding: 'utf8' });
	if (p.error || p.status !== 0) {
		t.skip(`prlimit cannot lower agauthd's RLIMIT_FSIZE here: ${p.error ? p.error.message : p.stderr.trim()}`);
		return;
	}
	let r;
	try {
		r = await c.call('revoke', { sub: 'bob' });
	} catch (e) {
		await d.waitExit().catch(() => {});
		assert.fail(`revoke: ${e.message}; agauthd ${h.show(d.exit)}`);
	}
	h.fails(r, 'AG_E_STATE', { message: new RegExp(`^revoked, but not persisted: ${esc(log)}: File too large$`) });
	assert.ok(d.alive, `agauthd died: ${h.show(d.exit)}`);
	h.fails(await c.call('verify', { token: bob }), 'AG_E_REVOKED', REVOKED);
	assert.deepStrictEqual(fs.readFileSync(log), before, 'a torn record was left in the log');

	assert.strictEqual(spawnSync('prlimit', ['--pid', String(d.pid), '--fsize=unlimited:']).status, 0);
	await revoke(c, { jti: 'j-1' });
	assert.deepStrictEqual(lines(fs.readFileSync(log)).map((l) => l.split(' ')[1]), ['s', 's', 'j']);
	await d.stop();
	d = await h.Daemon.start(env);
	c = await d.client();
	for (const tok of [alice, bob])
		h.fails(await c.call('verify', { token: tok }), 'AG_E_REVOKED', REVOKED);
	await d.stop();
});

// ---------------------------------------------------------------- sign

for (const type of ['hs256', 'p256']) {
	test(`sign (${type}) puts the token in the cache: a lookup hits with no verify sent`, { timeout: h.TEST_TIMEOUT }, async (t) => {
		/* HS256 signs on the loop, ES256 on the crypto pool: both insert */
		const env = h.setup({ keys: [{ name: 'k1', type, state: 'primary' }] });
		const d = await h.Daemon.start(env);
		t.after(() => d.cleanup());
		const c = await d.client();
		const cc = await h.CacheClient.start(env.sock);
		t.after(() => cc.close());
		assert.strictEqual(await cc.cmd('attach'), 'ok');

		const st0 = await stats(c);
		const tok = await sign(c, { sub: 'alice' });
		const st1 = await stats(c);
		assert.strictEqual(st1.signs - st0.signs, 1);
		assert.strictEqual(st1.cache_inserts - st0.cache_inserts, 1, h.show(st1));
		assert.strictEqual(st1.cache_entries - st0.cache_entries, 1, h.show(st1));

		assert.strictEqual(await cc.hit(tok, 'lookup'), 'hit');
		assert.strictEqual(await cc.hit(tok), 'hit');
		const r = ctlJson(env, ['verify', '--cache', tok]);
		assert.strictEqual(r.status, 0, r.stderr);
		assert.strictEqual(r.json.cache, 'hit');
		assert.strictEqual(r.json.kid, 'k1');
		assert.deepStrictEqual(r.json.payload, jwt.decode(tok));
		assert.strictEqual(await cc.cmd('ping'), 'ok');

		const st2 = await stats(c);
		assert.strictEqual(st2.verifies, st0.verifies, 'a verify reached agauthd');
		assert.strictEqual(st2.cache_hits - st1.cache_hits, 3, h.show(st2));
		assert.strictEqual(st2.cache_misses, st1.cache_misses, h.show(st2));
		assert.strictEqual(st2.cache_inserts, st1.cache_inserts);
		await d.stop();
	});
}

// ---------------------------------------------------------------- size

/* /proc/PID/status fields in KiB. */
function memOf(pid) {
	const s = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
	const kb = (f) => Number(new RegExp(`^${f}:\\s+(\\d+) kB`, 'm').exec(s)[1]);
	return { rss: kb('VmRSS'), shmem: kb('RssShmem') };
}

const MiB = 1 << 20;

test('[cache] size = 800M: 1.5 million slots, committed lazily', { timeout: h.TEST_TIMEOUT }, async (t) => {
	const env = h.setup({ conf: { cache: { size: '800M', slot: 512 } } });
	const d = await h.Daemon.start(env);
	t.after(() => d.cleanup());
	/* the default-size cache beside it, for what this build costs anyway
	 * (AddressSanitizer's own memory is most of it) */
	const small = await h.Daemon.start(h.setup());
	t.after(() => small.cleanup());
	const c = await d.client();
	const st = await stats(c);
	assert.strictEqual(st.cache_bytes, 800 * MiB);
	assert.ok(st.cache_slots >= 1500000, `cache_slots ${st.cache_slots}`);
	assert.strictEqual(st.cache_slots % 8, 0);
	assert.strictEqual(st.cache_entries, 0);

	const big = memOf(d.pid);
	const base = memOf(small.pid);
	t.diagnostic(`at start, 800M cache: VmRSS ${big.rss} KiB, RssShmem ${big.shmem} KiB; ` +
		     `64M cache: VmRSS ${base.rss} KiB, RssShmem ${base.shmem} KiB`);
	/* of 800 MiB of shared memory, the header and its heartbeat */
	assert.ok(big.shmem < 1024, `RssShmem ${big.shmem} KiB before any entry`);
	/* the cache's size (and the daemon's 24 bytes a slot beside it)
	 * cost next to nothing until used, under AddressSanitizer too (under
	 * valgrind, VmRSS is valgrind's) */
	if (!h.MEMCHECK) {
		assert.ok(big.rss < 64 * 1024, `VmRSS ${big.rss} KiB`);
		assert.ok(big.rss - base.rss < 16 * 1024, `VmRSS ${big.rss} KiB with 800M, ${base.rss} KiB with 64M`);
	}

	/* and it works: signed tokens are in it and hit */
	const cc = await h.CacheClient.start(env.sock);
	t.after(() => cc.close());
	assert.strictEqual(await cc.cmd('attach'), 'ok');
	const toks = [];
	for (let i = 0; i < 200; i++)
		toks.push(await sign(c, { sub: `u${i}` }));
	for (const tok of toks)
		assert.strictEqual(await cc.hit(tok, 'lookup'), 'hit');
	assert.strictEqual((await stats(c)).cache_entries, 200);
	const used = memOf(d.pid);
	t.diagnostic(`after 200 entries: VmRSS ${used.rss} KiB, RssShmem ${used.shmem} KiB`);
	if (!h.MEMCHECK)
		assert.ok(used.rss < 64 * 1024, `VmRSS ${used.rss} KiB after 200 entries`);
	await small.stop();
	await d.stop();
});

test('[cache] preallocate = yes: the whole cache is committed at start, and works', { timeout: h.TEST_TIMEOUT }, async (t) => {
	const env = h.setup({ conf: { cache: { size: '32M', preallocate: 'yes' } } });
	const d = await h.Daemon.start(env);
	t.after(() => d.cleanup());
	const c = await d.client();
	const m = memOf(d.pid);
	t.diagnostic(`at start, 32M cache preallocated: RssShmem ${m.shmem} KiB`);
	assert.ok(m.shmem >= 32 * 1024, `RssShmem ${m.shmem} KiB before any entry`);
	const cc = await h.CacheClient.start(env.sock);
	t.after(() => cc.close());
	assert.strictEqual(await cc.cmd('attach'), 'ok');
	const tok = await sign(c, { sub: 'alice' });
	assert.strictEqual(await cc.hit(tok, 'lookup'), 'hit');
	await d.stop();
});

test('[cache] size = 0: no cache (AG_E_NO_CACHE), verify still works', { timeout: h.TEST_TIMEOUT }, async (t) => {
	const env = h.setup({ conf: { cache: { size: 0 } } });
	const d = await h.Daemon.start(env);
	t.after(() => d.cleanup());
	const c = await d.client();
	assert.strictEqual(c.hello.cache, 0);
	h.fails(await c.call('cache'), 'AG_E_NO_CACHE');
	const st = await stats(c);
	assert.strictEqual(st.cache_bytes, 0);
	assert.strictEqual(st.cache_slots, 0);
	const tok = await sign(c, { sub: 'alice' });
	assert.strictEqual((await stats(c)).cache_inserts, 0);
	const cc = await h.CacheClient.start(env.sock);
	t.after(() => cc.close());
	assert.match(await cc.cmd('attach'), /^error REFUSED AG_E_NO_CACHE /);
	assert.strictEqual(await cc.cmd(`lookup ${tok}`), 'miss');
	assert.strictEqual(await cc.cmd(`verify ${tok}`), 'ok');
	assert.strictEqual(await cc.cmd(`verify ${tok}`), 'ok');
	await d.stop();
});

test('bad [cache] values: agauthd -t and agauthd both refuse them with FILE:LINE', { timeout: h.TEST_TIMEOUT }, async (t) => {
	const cases = [
		[{ size: '12Q' }, 'size = 12Q', /size must be/],
		[{ size: '70G' }, 'size = 70G', /size must be/],
		[{ size: '1K' }, 'size = 1K', /size must be/],
		[{ slot: 100 }, 'slot = 100', /slot must be/],
		[{ slot: 300 }, 'slot = 300', /slot must be a multiple of 64/],
		[{ preallocate: 'maybe' }, 'preallocate = maybe', /preallocate must be yes, no/],
	];
	for (const [kv, text, reason] of cases) {
		await t.test(text, () => {
			const env = h.setup({ conf: { cache: kv } });
			const line = fs.readFileSync(env.conf, 'utf8').split('\n').indexOf(text) + 1;
			assert.ok(line > 0);
			const where = new RegExp(`${esc(env.conf)}:${line}: `);
			const r = h.run(['-t', '-c', env.conf]);
			assert.strictEqual(r.status, EX_CONFIG, `-t: exit ${r.status}: ${r.stdout} ${r.stderr}`);
			assert.match(r.stderr, where);
			assert.match(r.stderr, reason);
			const r2 = h.run(['-c', env.conf], { timeout: 10000 });
			assert.strictEqual(r2.status, EX_CONFIG, `start: exit ${r2.status}: ${r2.stderr}`);
			assert.match(r2.stderr, where);
			assert.ok(!fs.existsSync(env.sock), 'it listened');
		});
	}
});

// --------------------------------------------------------------- watch

for (const sig of ['SIGTERM', 'SIGKILL']) {
	test(`watch across a restart after ${sig}: the watch ends (exit 69, UNREACHABLE), a new one gets later events`, { timeout: h.TEST_TIMEOUT }, async (t) => {
		const env = h.setup();
		let d = await h.Daemon.start(env);
		t.after(() => d.cleanup());
		let c = await d.client();
		const w1 = h.ctlWatch(env);
		t.after(() => w1.proc.kill('SIGKILL'));
		const cw = await h.CacheClient.start(env.sock);
		t.after(() => cw.close());
		assert.strictEqual(await cw.cmd('watch'), 'ok');
		await h.waitFor(async () => (await stats(c)).watchers === 2, { what: 'two watchers' });

		await revoke(c, { jti: 'before' });
		assert.match(await cw.cmd('next 10000'), /^event jti before \d+\.\d{3}$/);
		await h.waitFor(() => w1.events().length === 1, { what: 'the event from agauthctl watch' });

		await down(d, sig);
		const ex = await h.within(w1.exited, 10000, 'agauthctl watch exit');
		assert.deepStrictEqual(ex, { code: 69, signal: null }, w1.err);
		/* --json: the error is the last line on stdout, and alone */
		assert.strictEqual(w1.err, '');
		assert.match(w1.out.trimEnd().split('\n').pop(), /"code":"AG_E_DISCONNECTED".*"message":"connection to agauthd lost/);
		assert.match(await cw.cmd('next 10000'), /^error UNREACHABLE AG_E_DISCONNECTED /);
		/* the watch is over: the handle no longer watches */
		assert.match(await cw.cmd('next 0'), /^error USAGE /);

		d = await h.Daemon.start(env);
		c = await d.client();
		/* made while nobody watched: not replayed */
		await revoke(c, { jti: 'between' });
		const w2 = h.ctlWatch(env);
		t.after(() => w2.proc.kill('SIGKILL'));
		assert.strictEqual(await cw.cmd('watch'), 'ok');
		await h.waitFor(async () => (await stats(c)).watchers === 2, { what: 'two watchers again' });
		await revoke(c, { sub: 'after' });
		assert.match(await cw.cmd('next 10000'), /^event subject after \d+\.\d{3}$/);
		assert.strictEqual(await cw.cmd('next 200'), 'none');
		await h.waitFor(() => w2.events().length >= 1, { what: 'the event from the new agauthctl watch' });
		assert.deepStrictEqual(w2.events().map((e) => [e.kind, e.value]), [['subject', 'after']]);

		await d.stop();
		assert.deepStrictEqual(await h.within(w2.exited, 10000, 'agauthctl watch exit'), { code: 69, signal: null });
		assert.match(await cw.cmd('next 10000'), /^error UNREACHABLE /);
	});
}
