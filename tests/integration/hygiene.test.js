'use strict';
/*
 * 19. Key hygiene (docs/operations.md, "Key hygiene"): root given up for
 * [daemon] user; key bytes in locked memory left out of core dumps and
 * nowhere else - not in the cache, a client, the log or the state
 * directory; a failed mlock said once.  Reading another process's memory
 * and becoming another user need root: as anyone else these tests skip.
 * HYGIENE_DEBUG=1 prints where each key form was found in the daemon.
 */
const test = require('node:test');
const assert = require('node:assert');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync, spawnSync } = require('node:child_process');

const h = require('./harness');
const ms = require('./memscan');

const IS_ROOT = process.getuid() === 0;
const NOT_ROOT = IS_ROOT ? false : 'needs root (other users, other processes\' memory)';
/* the scans read the production build: the sanitizers' shadow memory is
 * terabytes of address space, and mlock is what production does */
const PROD = path.resolve(h.ROOT, process.env.AGAUTHD_PROD || 'build/agauthd');
const NOBODY = IS_ROOT ? Number(execFileSync('id', ['-u', 'nobody'], { encoding: 'utf8' })) : 65534;
const NOGROUP = IS_ROOT ? Number(execFileSync('id', ['-g', 'nobody'], { encoding: 'utf8' })) : 65534;
const EX_CONFIG = 78;
const EX_OSERR = 71;
/* runs a program with system calls refused (tests/integration/deny.c) */
const DENY = path.resolve(h.ROOT, process.env.DENY || 'build/deny');

/* Everything under dir (dir too) owned by uid:gid. */
function chownTree(dir, uid, gid) {
	fs.chownSync(dir, uid, gid);
	for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
		const p = path.join(dir, e.name);
		if (e.isDirectory())
			chownTree(p, uid, gid);
		else
			fs.lchownSync(p, uid, gid);
	}
}

/* A daemon directory whose keys, manifest and state belong to nobody, and
 * a configuration that drops root for nobody. */
function nobodySetup(opts = {}) {
	const dir = h.tmpdir('hyg');
	const conf = opts.conf || {};
	conf.daemon = { user: 'nobody', state_dir: path.join(dir, 'state'), ...(conf.daemon || {}) };
	const env = h.setup({ ...opts, dir, conf });
	chownTree(dir, NOBODY, NOGROUP);
	return env;
}

/* Uid: or Gid: of /proc/PID/status (or a task's) as four numbers. */
function ids(statusFile, field) {
	const m = new RegExp(`^${field}:\\s+(\\d+)\\s+(\\d+)\\s+(\\d+)\\s+(\\d+)`, 'm').exec(fs.readFileSync(statusFile, 'utf8'));
	return m.slice(1).map(Number);
}

function field(statusFile, name) {
	const m = new RegExp(`^${name}:\\s*(.*)$`, 'm').exec(fs.readFileSync(statusFile, 'utf8'));
	return m ? m[1].trim() : null;
}

/* A short signed token's signature, to recognise in memory. */
const sigOf = (tok) => tok.split('.')[2];

test('started as root with user = nobody: root given up for good, signs, verifies, reloads, rotates', { timeout: h.TEST_TIMEOUT, skip: NOT_ROOT }, async () => {
	const env = nobodySetup();
	const d = await h.Daemon.start(env);
	try {
		const st = `/proc/${d.pid}/status`;
		assert.deepStrictEqual(ids(st, 'Uid'), [NOBODY, NOBODY, NOBODY, NOBODY], 'real, effective, saved, fs uid');
		assert.deepStrictEqual(ids(st, 'Gid'), [NOGROUP, NOGROUP, NOGROUP, NOGROUP]);
		assert.ok(!field(st, 'Groups').split(/\s+/).includes('0'), `supplementary groups: ${field(st, 'Groups')}`);
		assert.strictEqual(field(st, 'CapEff'), '0000000000000000');
		assert.strictEqual(field(st, 'CapPrm'), '0000000000000000');
		/* the crypto threads too: they were started after the drop */
		const tasks = fs.readdirSync(`/proc/${d.pid}/task`);
		assert.ok(tasks.length >= 3, `threads: ${tasks}`);
		for (const t of tasks)
			assert.deepStrictEqual(ids(`/proc/${d.pid}/task/${t}/status`, 'Uid'), [NOBODY, NOBODY, NOBODY, NOBODY], `task ${t}`);
		/* not dumpable after the drop: its /proc files stay root's */
		assert.strictEqual(fs.statSync(st).uid, 0, '/proc/PID/status owned by nobody: the daemon is dumpable');
		assert.match(fs.readFileSync(`/proc/${d.pid}/limits`, 'utf8'), /^Max core file size\s+0\s+0\s+bytes/m);
		assert.match(d.stderr, /running as nobody \(uid \d+ gid \d+\), root given up/);
		/* the state directory agauthd made is nobody's */
		assert.strictEqual(fs.statSync(path.join(env.dir, 'state')).uid, NOBODY);

		const c = await d.client();
		const s = h.ok(await c.call('sign', { payload: '{"u":1}' }));
		assert.strictEqual(h.payloadOf(h.ok(await c.call('verify', { token: s.token }))).u, 1);

		/* a reload reads as nobody: a key nobody owns joins */
		const extra = path.join(env.dir, 'keys', 'hs2.key');
		h.keygen('hs256', extra);
		fs.chownSync(extra, NOBODY, NOGROUP);
		fs.appendFileSync(env.keyring, '\n[key hs2]\nfile = keys/hs2.key\nencoding = base64\nalgorithm = HS256\nstate = verify\n');
		h.ok(await c.call('reload'), 'reload as nobody');
		assert.deepStrictEqual(h.ok(await c.call('keys')).keys.map((k) => k.name).sort(), ['hs1', 'hs2']);
		/* a key only root can read: the reload fails and says why, the
		 * running keyring stays */
		fs.chownSync(extra, 0, 0);
		const r = h.fails(await c.call('reload'), 'AG_E_KEYRING', { what: 'reload of a root-only key' });
		assert.match(r.message, /hs2\.key: Permission denied \(agauthd reads keys as its own user/);
		fs.chownSync(extra, NOBODY, NOGROUP);
		/* a rotation writes a key and a manifest as nobody */
		const rot = h.ok(await c.call('rotate', { alg: 'ES256' }), 'rotate as nobody');
		const keyFile = path.join(env.dir, 'keys', `${rot.kid}.pem`);
		assert.strictEqual(fs.statSync(keyFile).uid, NOBODY);
		assert.strictEqual(fs.statSync(keyFile).mode & 0o777, 0o600);
		const s2 = h.ok(await c.call('sign', { payload: '{"u":2}' }));
		assert.strictEqual(h.decodeToken(s2.token).header.alg, 'ES256');
		h.ok(await c.call('verify', { token: s2.token }));
		h.ok(await c.call('verify', { token: s.token }), 'the old primary still verifies');
		await d.stop();
	} finally {
		await d.cleanup();
	}
});

test('user and group: refused before anything starts, with the reason', { timeout: h.TEST_TIMEOUT }, async (t) => {
	const checkFails = (env, re, what, args = ['-t', '-c', env.conf], status = EX_CONFIG) => {
		const r = h.run(args);
		assert.strictEqual(r.status, status, `${what}: exit ${r.status}, stderr: ${r.stderr}`);
		assert.match(r.stderr, re, what);
		return r;
	};
	await t.test('a user that does not exist: exit 78, FILE:LINE', () => {
		const env = h.setup({ conf: { daemon: { user: 'no-such-user-agauthd' } } });
		checkFails(env, /agauthd\.conf:\d+: no user 'no-such-user-agauthd'/, 'unknown user');
		checkFails(env, /no user 'no-such-user-agauthd'/, 'unknown user, started', ['-c', env.conf]);
		assert.ok(!fs.existsSync(env.sock), 'the socket was made');
	});
	await t.test('a group without a user', () => {
		const env = h.setup({ conf: { daemon: { group: 'nogroup' } } });
		checkFails(env, /\[daemon\] group needs user/, 'group alone');
	});
	await t.test('keys and manifest only root can read, with user = nobody', { skip: NOT_ROOT }, () => {
		const env = h.setup({ conf: { daemon: { user: 'nobody' } } });
		checkFails(env, /keyring\.conf: cannot read: Permission denied \(agauthd reads its keyring as its own user\)/, 'root-only manifest');
		chownTree(env.dir, NOBODY, NOGROUP);
		fs.chownSync(env.keys.hs1.file, 0, 0);
		checkFails(env, /hs1\.key: Permission denied \(agauthd reads keys as its own user/, 'root-only key');
		fs.chownSync(env.keys.hs1.file, NOBODY, NOGROUP);
		assert.strictEqual(h.run(['-t', '-c', env.conf]).status, 0);
	});
	await t.test('a state directory that is root\'s, with user = nobody', { skip: NOT_ROOT }, () => {
		const env = nobodySetup();
		const state = path.join(env.dir, 'state');
		fs.mkdirSync(state, { mode: 0o700 });
		checkFails(env, /state: not owned by the user agauthd runs as \(mode 0700, uid 0; agauthd runs as uid \d+\)/,
			   'root-owned state directory', ['-c', env.conf]);
		assert.ok(!fs.existsSync(env.sock), 'the socket was made');
	});
	await t.test('not started as root, and not as that user', { skip: NOT_ROOT }, () => {
		const env = nobodySetup({ conf: { daemon: { user: 'daemon' } } });
		const r = h.run(['-t', '-c', env.conf], { uid: NOBODY, gid: NOGROUP });
		assert.strictEqual(r.status, EX_CONFIG, r.stderr);
		assert.match(r.stderr, /user = daemon: agauthd runs as uid \d+ gid \d+ and cannot become uid \d+ gid \d+; start it as root, or as that user/);
	});
});

test('a hardening call refused (as a seccomp filter refuses it): agauthd does not start, and says which and why', { timeout: h.TEST_TIMEOUT }, async (t) => {
	/* AddressSanitizer turns core files off itself unless told not to,
	 * and dies if it cannot */
	const env = { ...process.env, ASAN_OPTIONS: 'detect_leaks=1:abort_on_error=0:exitcode=66:disable_coredump=0' };
	const eperm = 'Operation not permitted';
	const cases = [
		['setrlimit(RLIMIT_CORE)', 'prlimit64,1=4,2!=0',
		 new RegExp(`setrlimit\\(RLIMIT_CORE, 0\\): ${eperm}: a core file could hold key material; refusing to run`)],
		['prctl(PR_SET_DUMPABLE)', 'prctl,0=4',
		 new RegExp(`prctl\\(PR_SET_DUMPABLE, 0\\): ${eperm}: processes of agauthd's user could read key material`)],
	];
	for (const [what, rule, why] of cases) {
		await t.test(what, () => {
			const e = h.setup();
			for (const args of [['-c', e.conf], ['-t', '-c', e.conf], ['keygen', 'hs256', path.join(e.dir, 'new.key')]]) {
				const r = spawnSync(DENY, [rule, '--', h.AGAUTHD, ...args], { encoding: 'utf8', env, timeout: h.slow(30000) });
				assert.strictEqual(r.status, EX_OSERR, `${what}, agauthd ${args.join(' ')}: exit ${r.status}\n${r.stderr}`);
				assert.match(r.stderr, why, `${what}, agauthd ${args.join(' ')}`);
			}
			assert.ok(!fs.existsSync(e.sock), `${what}: the socket was made`);
			assert.ok(!fs.existsSync(path.join(e.dir, 'new.key')), `${what}: keygen wrote a key`);
		});
	}
	/* the socket systemd passes: made close-on-exec and non-blocking, or
	 * not served on */
	for (const [what, cmd] of [['F_SETFD', 2], ['F_SETFL', 4]]) {
		await t.test(`fcntl(${what}) on the socket systemd passed`, async () => {
			const e = h.setup();
			const sock = path.join(e.dir, 'activated.sock');
			const d = new h.Daemon({ ...e, sock });
			await d.spawn({ wait: false, env: { ASAN_OPTIONS: env.ASAN_OPTIONS },
					argv: ['python3', '-c', h.ACTIVATE, sock, DENY, `fcntl,0=3,1=${cmd}`, '--', h.AGAUTHD, '-c', e.conf] });
			await h.waitFor(() => !d.alive || /agauthd ready/.test(d.stderr), { timeout: 15000, what: 'an exit' });
			if (d.alive) {
				await d.stop();
				assert.fail(`agauthd served on a socket it could not set up:\n${d.stderr}`);
			}
			const ex = await d.waitExit();
			assert.strictEqual(ex.code, EX_OSERR, `exit ${h.show(ex)}\n${d.stderr}`);
			assert.match(d.stderr, new RegExp(`the socket systemd passed \\(fd 3\\): fcntl: ${eperm}; refusing to serve on it`));
			assert.doesNotMatch(d.stderr, /agauthd ready/);
		});
	}
});

/* build/cache_client: one libagauth handle, driven a line at a time
 * (tests/integration/cache_client.c). */

/* "label at 0x... in MAPPING [flags]" for messages. */
const where = (hits) => hits.map((x) => `0x${x.addr.toString(16)} in ${x.mapping.name || '(anon)'} [${[...x.mapping.flags].join(' ')}]`).join('; ');

test('key bytes: nowhere but locked memory left out of dumps - not in the cache, a client, the log or the state', { timeout: 4 * h.TEST_TIMEOUT, skip: NOT_ROOT }, async () => {
	assert.ok(ms.sha256Check(), 'the SHA-256 compression in memscan.js');
	const secret = crypto.randomBytes(32);
	const env = nobodySetup({
		keys: [
			{ name: 'hs1', type: 'hs256', state: 'primary', material: `${secret.toString('base64')}\n` },
			{ name: 'es1', type: 'p256', state: 'verify' },
		],
		conf: { daemon: { log_level: 'debug', threads: 2 }, cache: { size: '1M' } },
	});
	chownTree(env.dir, NOBODY, NOGROUP);
	const d = await h.Daemon.start(env, { argv: [PROD, '-c', env.conf] });
	const cc = await h.CacheClient.start(env.sock);
	try {
		const c = await d.client();
		assert.strictEqual(await cc.cmd('attach'), 'ok');

		/* sign and verify many, the client's cache answering repeats */
		const toks = [];
		for (let i = 0; i < 400; i += 50) {
			const batch = await Promise.all(Array.from({ length: 50 }, (_, j) =>
				c.call('sign', { payload: JSON.stringify({ sub: `user-${(i + j) % 20}`, jti: `j${i + j}`, n: i + j }), opts: '{"expiresIn":3600}' })));
			for (const r of batch)
				toks.push(h.ok(r).token);
			for (const r of await Promise.all(batch.map((r) => c.call('verify', { token: r.token }))))
				h.ok(r);
		}
		for (const tok of toks.slice(0, 40))
			assert.strictEqual(await cc.hit(tok), 'hit');
		/* revoke, reload */
		h.ok(await c.call('revoke', { sub: 'user-7' }));
		h.ok(await c.call('revoke', { token: toks[1] }));
		h.ok(await c.call('reload'));
		assert.match(await cc.cmd(`verify ${toks[7]}`), /^(hit-rejected|error) .*revoked/);
		/* a new ES256 primary, made and used by the crypto threads */
		const rot = h.ok(await c.call('rotate', { alg: 'ES256' }));
		const esToks = [];
		for (let i = 0; i < 100; i += 25) {
			const batch = await Promise.all(Array.from({ length: 25 }, (_, j) =>
				c.call('sign', { payload: JSON.stringify({ sub: 'es', n: i + j }) })));
			for (const r of batch)
				esToks.push(h.ok(r).token);
		}
		h.ok(await c.call('verify', { token: esToks[0] }));
		assert.strictEqual(await cc.hit(esToks[3]), 'hit');
		/* a new RS256 primary, signing from both crypto threads at
		 * once: each thread's copy of the key (the OpenSSL backend's
		 * slots) is held to the same rule */
		const rotRs = h.ok(await c.call('rotate', { alg: 'RS256' }));
		for (const r of await Promise.all(Array.from({ length: 40 }, (_, j) =>
			c.call('sign', { payload: JSON.stringify({ sub: 'rs', n: j }) }))))
			h.ok(r);
		assert.strictEqual(await cc.hit(toks[30]), 'hit');

		const hsForms = ms.forms(secret);
		const pem = (f) => fs.readFileSync(f, 'ascii');
		const dOf = (f) => Buffer.from(crypto.createPrivateKey(pem(f)).export({ format: 'jwk' }).d, 'base64url');
		const rotFile = path.join(env.dir, 'keys', `${rot.kid}.pem`);
		const esD = dOf(env.keys.es1.file), rotD = dOf(rotFile);
		const rsFile = path.join(env.dir, 'keys', `${rotRs.kid}.pem`);
		const rsJwk = crypto.createPrivateKey(pem(rsFile)).export({ format: 'jwk' });
		const rsPart = (x) => Buffer.from(rsJwk[x], 'base64url');
		/* every form of every key, as bytes or as text */
		const allForms = {
			...hsForms,
			...ms.hmacStates(secret),
			...Object.fromEntries(Object.entries(ms.forms(esD)).map(([k, v]) => [`es1_d_${k}`, v])),
			es1_d_limbs: ms.mpiBytes(esD),
			...Object.fromEntries(Object.entries(ms.forms(rotD)).map(([k, v]) => [`rot_d_${k}`, v])),
			rot_d_limbs: ms.mpiBytes(rotD),
			...Object.fromEntries(Object.entries(ms.forms(rsPart('d'))).map(([k, v]) => [`rs_d_${k}`, v])),
			rs_d_limbs: ms.mpiBytes(rsPart('d')),
			rs_p_limbs: ms.mpiBytes(rsPart('p')),
			rs_q_limbs: ms.mpiBytes(rsPart('q')),
			rs_pem_line: Buffer.from(pem(rsFile).split('\n')[1]),
			rot_pem_line: Buffer.from(pem(rotFile).split('\n')[1]),
			es1_pem_line: Buffer.from(pem(env.keys.es1.file).split('\n')[1]),
		};

		/* (a) the cache, as the client maps it */
		/* (the cache holds a token's signing input, never its
		 * signature: docs/cache.md) */
		let cacheBytes = 0, cacheHasToken = false;
		const inputOf = (tok) => tok.slice(0, tok.lastIndexOf('.'));
		ms.eachChunk(cc.proc.pid, (m, buf) => {
			cacheBytes += buf.length;
			assert.deepStrictEqual(ms.foundIn(buf, allForms), [], 'key bytes in the cache');
			cacheHasToken = cacheHasToken || buf.indexOf(inputOf(toks[30])) >= 0;
			assert.strictEqual(buf.indexOf(sigOf(toks[30])), -1, 'a signature in the cache');
		}, { filter: (m) => m.name.includes('agauthd-cache') });
		assert.ok(cacheBytes > 0, 'the client has no cache mapping');
		assert.ok(cacheHasToken, 'a cached token was not seen: the scan reads the wrong thing');

		/* (b) the daemon's log, at debug */
		const log = Buffer.from(d.stderr, 'utf8');
		assert.ok(log.length > 0);
		assert.deepStrictEqual(ms.foundIn(log, allForms), [], 'key bytes in the log');

		/* (c) every readable byte of a client process (the control:
		 * the last token it was given, which its input buffer holds;
		 * its cache mapping holds no signature) */
		const inClient = ms.find(cc.proc.pid, { ...allForms, token: Buffer.from(sigOf(toks[7])) });
		assert.ok(inClient.token.length > 0, 'a verified token was not seen in the client: the scan reads the wrong thing');
		delete inClient.token;
		for (const [label, hits] of Object.entries(inClient))
			assert.strictEqual(hits.length, 0, `${label} in the client: ${where(hits)}`);

		/* (d) the state directory */
		const stateDir = path.join(env.dir, 'state');
		const files = fs.readdirSync(stateDir);
		assert.ok(files.includes('revocations') && fs.statSync(path.join(stateDir, 'revocations')).size > 0, `state: ${files}`);
		for (const f of files)
			assert.deepStrictEqual(ms.foundIn(fs.readFileSync(path.join(stateDir, f)), allForms), [], `key bytes in state/${f}`);

		/* (e) the daemon itself: the secret is held in no form at all
		 * (only as its pre-keyed states), and every key byte it holds is
		 * in memory that is locked and left out of dumps */
		const inDaemon = ms.find(d.pid, allForms);
		if (process.env.HYGIENE_DEBUG)
			for (const [l, x] of Object.entries(inDaemon)) console.error(`# ${l}: ${x.length} ${where(x)}`);
		const locked = !/mlock: /.test(d.stderr);
		assert.ok(locked, `mlock failed as root: ${d.stderr}`);
		for (const label of Object.keys(hsForms))
			assert.strictEqual(inDaemon[label].length, 0, `the secret as ${label} in the daemon: ${where(inDaemon[label])}`);
		for (const label of ['ipad_state', 'opad_state', 'es1_d_limbs', 'rot_d_limbs', 'rs_d_limbs', 'rs_p_limbs', 'rs_q_limbs'])
			assert.ok(inDaemon[label].length > 0, `${label} not found in the daemon: the scan reads the wrong thing`);
		for (const [label, hits] of Object.entries(inDaemon)) {
			const bad = hits.filter((x) => !x.mapping.flags.has('dd') || !x.mapping.flags.has('lo'));
			assert.strictEqual(bad.length, 0, `${label} outside locked, undumped memory: ${where(bad)}`);
		}

		/* (f) no core file, whatever core_pattern says */
		assert.match(fs.readFileSync(`/proc/${d.pid}/limits`, 'utf8'), /^Max core file size\s+0\s+0\s+bytes/m);
		assert.match(fs.readFileSync(`/proc/${d.pid}/coredump_filter`, 'utf8'), /^[0-9a-f]+\n$/);
		assert.strictEqual(fs.statSync(`/proc/${d.pid}/mem`).uid, 0, 'dumpable: /proc/PID/mem is the daemon user\'s');
		await cc.close();
		await d.stop();
	} finally {
		await cc.close();
		await d.cleanup();
	}
});

test('mlock refused (RLIMIT_MEMLOCK 0, not root): one warning each for secmem and the secure heap, keys still left out of dumps, still serves', { timeout: h.TEST_TIMEOUT, skip: NOT_ROOT }, async () => {
	const secret = crypto.randomBytes(32);
	const dir = h.tmpdir('hyg');
	const env = h.setup({ dir, keys: [
		{ name: 'hs1', type: 'hs256', state: 'primary', material: `${secret.toString('base64')}\n` },
		{ name: 'rs1', type: 'rsa2048', state: 'verify' },
	], conf: { daemon: { threads: 2 } } });
	chownTree(dir, NOBODY, NOGROUP);
	const d = await h.Daemon.start(env, { argv: ['prlimit', '--memlock=0:0', 'setpriv', `--reuid=${NOBODY}`,
						  `--regid=${NOGROUP}`, '--clear-groups', h.forOthers().agauthd, '-c', env.conf],
						  env: h.forOthers().env });
	try {
		const c = await d.client();
		const s = h.ok(await c.call('sign', { payload: '{"u":1}' }));
		h.ok(await c.call('verify', { token: s.token }));
		const rot = h.ok(await c.call('rotate', { alg: 'RS256' }));
		for (let i = 0; i < 5; i++)
			h.ok(await c.call('sign', { payload: `{"i":${i}}` }));
		h.ok(await c.call('reload'));
		assert.ok(rot.kid);
		const warnings = d.stderr.match(/warning: mlock: /g) || [];
		assert.strictEqual(warnings.length, 1, `one mlock warning:\n${d.stderr}`);
		/* what it needs (16 MiB of keys, the crypto threads' stacks and
		 * the OpenSSL backend's secure heap), what it has, and where
		 * to set it: one sentence for secmem's own pages, and the same
		 * once for the secure heap the private keys are in */
		const advice = (what) => new RegExp(`warning: ${what}: [^\\n]*key memory may be written to swap; it is still left out of core dumps and zeroed when freed\\.  agauthd needs RLIMIT_MEMLOCK of (\\d+) MiB \\(16 MiB for keys, \\d+ KiB for the crypto threads and library\\) and has 0 KiB: raise it where agauthd starts: systemd LimitMEMLOCK=\\1M; docker run --ulimit memlock=\\d+; docker compose ulimits: memlock: \\d+; Kubernetes has no per-pod setting: [^\\n]*IPC_LOCK`, 'g');
		assert.strictEqual((d.stderr.match(advice('mlock')) || []).length, 1, `one mlock warning:\n${d.stderr}`);
		const heap = d.stderr.match(advice('secure heap for private keys')) || [];
		assert.strictEqual(heap.length, 1, `one secure heap warning:\n${d.stderr}`);
		/* the key's states: in memory left out of dumps (only such
		 * mappings are read: the sanitizer's shadow is not) */
		const hits = ms.find(d.pid, ms.hmacStates(secret), { filter: (m) => m.flags.has('dd') });
		assert.ok(hits.ipad_state.length > 0, 'the pre-keyed state is not in a MADV_DONTDUMP mapping');
		for (const x of [...hits.ipad_state, ...hits.opad_state])
			assert.ok(!x.mapping.flags.has('lo'), `locked after all: ${where([x])}`);
		await d.stop();
	} finally {
		await d.cleanup();
	}
});
