'use strict';
/*
 * harness.js - real agauthd daemons in temporary directories, and real
 * clients for them, for the integration suite (tests/integration/).
 *
 *   const h = require('./harness');
 *   const d = await h.Daemon.start(h.setup({ keys: [...], conf: {...} }));
 *   const c = await d.client();            // connected, hello done
 *   const r = await c.call('sign', { payload: '{"u":1}' });
 *   await d.stop();                        // SIGTERM: status 0, no
 *                                          // sanitizer report, or it throws
 *
 * Run the suite with `node --test --test-reporter=tap tests/integration/`
 * after `make all build/san/agauthd`.  The daemon is AGAUTHD (default
 * build/san/agauthd under the repository root: AddressSanitizer + UBSan);
 * AGAUTHD_KEEP=1 keeps the temporary directories.  Every wait here is
 * bounded and polls instead of sleeping a fixed time.
 *
 * AGAUTHD_SLOW=N multiplies every timeout and bound here by N, for a
 * daemon that runs N times slower than usual (`make memcheck` runs it
 * under valgrind with AGAUTHD_SLOW=20); unset, nothing changes.
 * AGAUTHD_MEMCHECK=1 says the daemon runs under valgrind: its VmRSS is
 * valgrind's, and the tests skip what they would measure with it.
 */
const assert = require('node:assert');
const { spawn, execFileSync, spawnSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

const { pack, unpack } = require('msgpackr');

const ROOT = path.resolve(__dirname, '..', '..');
const AGAUTHD = path.resolve(ROOT, process.env.AGAUTHD || 'build/san/agauthd');
const AGAUTHCTL = path.resolve(ROOT, process.env.AGAUTHCTL || 'build/agauthctl');
const SLOW = Math.max(1, Number(process.env.AGAUTHD_SLOW) || 1);
const MEMCHECK = process.env.AGAUTHD_MEMCHECK === '1';
/* ms scaled by AGAUTHD_SLOW */
const slow = (ms) => ms * SLOW;
const CALL_TIMEOUT = slow(20000);  /* ms a single request may take */
const TEST_TIMEOUT = slow(90000);  /* ms a top-level test may take, at most */

/* Sanitizer reports (ASan, LSan, UBSan) in a daemon's stderr, and
 * valgrind memcheck's (errors as they happen, leaks and the summary at
 * exit) */
const SANITIZER_RE = new RegExp([
	'AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|runtime error:|SUMMARY: \\w+Sanitizer',
	'==\\d+== (Invalid (read|write|free)|Conditional jump|Use of uninitialised|Syscall param|Mismatched free|Source and destination overlap|Argument .* of function)',
	'==\\d+== .*(definitely|indirectly|possibly) lost in',
	'ERROR SUMMARY: [1-9]',
].join('|'));

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/* JSON text of a decoded frame for messages: uint64 values past 2^53 (the
 * cache instance in hello) decode as BigInt, which JSON.stringify
 * refuses. */
const show = (v) => JSON.stringify(v, (k, x) => (typeof x === 'bigint' ? `${x}n` : x));

/* Polls fn (sync or async) until it returns a truthy value; throws after
 * `timeout` ms with `what` in the message. */
async function waitFor(fn, { timeout = 10000, interval = 20, what = 'condition' } = {}) {
	timeout = slow(timeout);
	const end = Date.now() + timeout;
	for (;;) {
		const v = await fn();
		if (v)
			return v;
		if (Date.now() > end)
			throw new Error(`timed out after ${timeout} ms waiting for ${what}`);
		await sleep(interval);
	}
}

/* Rejects if p does not settle within ms. */
function within(p, ms, what) {
	let t;
	ms = slow(ms);
	return Promise.race([
		p.finally(() => clearTimeout(t)),
		new Promise((_, rej) => {
			t = setTimeout(() => rej(new Error(`${what}: no result within ${ms} ms`)), ms);
		}),
	]);
}

// ---------------------------------------------------------------- files

const tmpdirs = [];
const daemons = new Set();          /* spawned and not yet seen to exit */
const spawned = [];                 /* every daemon process */
const judged = new WeakSet();       /* the processes whose end was checked */

/* A fresh directory, mode 0755 so that other users can reach a socket in
 * it when a test wants them to. */
function tmpdir(tag = 'it') {
	const d = fs.mkdtempSync(path.join(os.tmpdir(), `agauthd-${tag}-`));
	fs.chmodSync(d, 0o755);
	tmpdirs.push(d);
	return d;
}

/*
 * What a process running as another user (nobody) must read or run, copied
 * into a directory anyone may enter: the checkout may sit in a private
 * home (/root/agauthd) that such a process cannot.  Under memcheck AGAUTHD
 * is the wrapper (tests/memcheck/agauthd-memcheck): it comes with what
 * lies beside it (its suppressions) and the agauthd it runs, and its
 * reports go to a directory that user may write, added at exit to
 * AGAUTHD_MEMCHECK_LOGS, where run.sh counts them.  Made on first use,
 * removed with the other temporary directories.
 *   { agauthd, agauthctl, harness, node, env }: paths of the copies
 *   (harness.js and msgpackr for a client run as that user; node: the npm
 *   package, its addon and its dependency), what to add to the
 *   environment of a copy run; program(file): the path of a copy of any
 *   other program
 */
let others = null;
function forOthers() {
	if (others)
		return others;
	const dir = tmpdir('others');
	const copy = (from, to) => fs.cpSync(from, path.join(dir, to), { recursive: true });
	const o = { agauthd: path.join(dir, 'agauthd'), harness: path.join(dir, 'harness.js'), env: {} };
	if (MEMCHECK) {
		/* the wrapper's own default, build/agauthd, is in the checkout */
		copy(process.env.AGAUTHD_MEMCHECK_BIN || path.join(ROOT, 'build', 'agauthd'), 'agauthd');
		copy(path.dirname(AGAUTHD), 'memcheck');
		o.agauthd = path.join(dir, 'memcheck', path.basename(AGAUTHD));
		o.env.AGAUTHD_MEMCHECK_BIN = path.join(dir, 'agauthd');
	} else {
		copy(AGAUTHD, 'agauthd');
	}
	copy(__filename, 'harness.js');
	copy(AGAUTHCTL, 'agauthctl');
	copy(path.join(__dirname, '..', 'node_modules', 'msgpackr'), 'node_modules/msgpackr');
	copy(path.join(ROOT, 'client', 'node'), 'node');
	execFileSync('chmod', ['-R', 'a+rX', dir]);
	o.agauthctl = path.join(dir, 'agauthctl');
	o.node = path.join(dir, 'node');
	/* any other program of the build, copied on first use */
	o.program = (file) => {
		const to = path.join(dir, path.basename(file));
		if (!fs.existsSync(to)) {
			fs.copyFileSync(file, to);
			fs.chmodSync(to, 0o755);
		}
		return to;
	};
	if (MEMCHECK && process.env.AGAUTHD_MEMCHECK_LOGS) {
		o.logs = path.join(dir, 'logs');
		fs.mkdirSync(o.logs);
		fs.chmodSync(o.logs, 0o1777);
		o.env.AGAUTHD_MEMCHECK_LOGS = o.logs;
	}
	others = o;
	return others;
}

/* Valgrind's reports of the copies' runs, added to run.sh's count: a
 * name met twice (a pid used again) is appended to, as the wrapper's tee
 * does. */
function othersLogs() {
	if (!others || !others.logs)
		return;
	for (const f of fs.readdirSync(others.logs))
		fs.appendFileSync(path.join(process.env.AGAUTHD_MEMCHECK_LOGS, f),
				  fs.readFileSync(path.join(others.logs, f)));
}

process.on('exit', () => {
	/* a test that died half way must not leave daemons behind */
	for (const d of daemons)
		try { process.kill(d.pid, 'SIGKILL'); } catch (e) { /* gone */ }
	/* every daemon's end is judged (stop(), or waitExit() and the
	 * test's look at its status): one nobody judged fails the file,
	 * since how it ended - a crash, a leak report - went unseen */
	for (const proc of spawned) {
		if (!judged.has(proc)) {
			console.error(`# agauthd ${proc.pid} (${proc.spawnargs.join(' ')}) was never stopped ` +
				      'by stop() nor waited for by waitExit(): how it ended was not checked');
			process.exitCode = 1;
		}
	}
	othersLogs();
	if (process.env.AGAUTHD_KEEP)
		return;
	for (const d of tmpdirs)
		try { fs.rmSync(d, { recursive: true, force: true }); } catch (e) { /* best effort */ }
});

/* `agauthd keygen TYPE FILE`; returns the file's path. */
function keygen(type, file) {
	fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
	execFileSync(AGAUTHD, ['keygen', type, file], { stdio: ['ignore', 'ignore', 'pipe'] });
	return file;
}

const TYPE_ALG = { hs256: 'HS256', hs384: 'HS384', hs512: 'HS512', rsa2048: 'RS256',
		   rsa3072: 'RS256', rsa4096: 'RS256', p256: 'ES256', p384: 'ES384', p521: 'ES512' };

/* INI text from { section: { key: value } }; `null` values are left out. */
function ini(sections) {
	let s = '';
	for (const [name, kv] of Object.entries(sections)) {
		s += `[${name}]\n`;
		for (const [k, v] of Object.entries(kv))
			if (v !== null && v !== undefined)
				s += `${k} = ${v}\n`;
		s += '\n';
	}
	return s;
}

/* A keyring manifest from [{ name, file, algorithm, state, encoding, kid,
 * created, retire }]. */
function keyringText(keys) {
	const sec = {};
	for (const k of keys)
		sec[`key ${k.name}`] = {
			file: k.file, encoding: k.encoding, algorithm: k.algorithm,
			state: k.state, kid: k.kid, created: k.created, retire: k.retire,
			activate: k.activate,
		};
	return ini(sec);
}

/*
 * A daemon directory: keys (made with keygen unless `material` is given),
 * keyring.conf and agauthd.conf.  keys: [{ name, type, state, kid,
 * encoding, algorithm, material, file }]; conf: sections merged over the
 * defaults below; a key may have created, retire, activate.  Returns { dir, conf, sock, keyring, keys: {name:
 * {file, alg, kid, secret|pem|pub}} }.
 */
function setup({ keys = [{ name: 'hs1', type: 'hs256', state: 'primary' }], conf = {},
		 dir = tmpdir() } = {}) {
	const kdir = path.join(dir, 'keys');
	fs.mkdirSync(kdir, { recursive: true, mode: 0o700 });
	const info = {};
	const manifest = [];
	for (const k of keys) {
		const rel = k.file || `keys/${k.name}.${k.type && !k.type.startsWith('hs') ? 'pem' : 'key'}`;
		const file = path.join(dir, rel);
		if (k.material !== undefined) {
			fs.writeFileSync(file, k.material, { mode: 0o600 });
			fs.chmodSync(file, 0o600);
		} else if (!fs.existsSync(file)) {
			keygen(k.type, file);
		}
		const alg = k.algorithm || TYPE_ALG[k.type];
		const encoding = k.encoding || (k.type && k.type.startsWith('hs') ? 'base64' : undefined);
		manifest.push({ name: k.name, file: rel, encoding, algorithm: alg,
				state: k.state || 'verify', kid: k.kid, created: k.created,
				retire: k.retire, activate: k.activate });
		info[k.name] = keyInfo(file, alg, encoding, k.kid === undefined ? k.name : k.kid);
	}
	const keyring = path.join(dir, 'keyring.conf');
	fs.writeFileSync(keyring, keyringText(manifest), { mode: 0o600 });
	const sock = path.join(dir, 'agauthd.sock');
	const sections = {
		daemon: { log_level: 'info', threads: 2, state_dir: dir },
		socket: { path: sock, mode: '0600' },
		keys: { keyring },
		access: { sign: '*', verify: '*', admin: 'uid:0' },
		limits: {},
	};
	for (const [s, kv] of Object.entries(conf))
		sections[s] = Object.assign(sections[s] || {}, kv);
	const confFile = path.join(dir, 'agauthd.conf');
	fs.writeFileSync(confFile, ini(sections));
	return { dir, conf: confFile, sock: sections.socket.path, keyring, keys: info };
}

/* What a JavaScript peer needs to sign and verify with a key file. */
function keyInfo(file, alg, encoding, kid) {
	const raw = fs.readFileSync(file);
	const k = { file, alg, kid: kid === '' ? undefined : kid };
	if (alg.startsWith('HS')) {
		if (encoding === 'base64')
			k.secret = Buffer.from(raw.toString('ascii').trim(), 'base64');
		else if (encoding === 'text')
			k.secret = Buffer.from(raw.toString('latin1').replace(/\r?\n$/, ''), 'latin1');
		else
			k.secret = raw;
		k.signKey = k.verifyKey = k.secret;
	} else {
		k.pem = raw.toString('ascii');
		k.pub = crypto.createPublicKey(k.pem).export({ type: 'spki', format: 'pem' });
		k.signKey = k.pem;
		k.verifyKey = k.pub;
	}
	return k;
}

/* `agauthd ARGS...` to completion: { status, stdout, stderr }; with
 * opts.uid, as that user (the copy forOthers() makes). */
/*
 * A child's stderr without valgrind's own lines (==PID== and --PID--)
 * when agauthd runs under memcheck: what agauthd itself wrote, for tests
 * that compare it whole.  Nothing is lost: every report is counted from
 * AGAUTHD_MEMCHECK_LOGS (tests/memcheck/run.sh).
 */
function ownStderr(r) {
	if (MEMCHECK && typeof r.stderr === 'string')
		r.stderr = r.stderr.replace(/^(?:==\d+==|--\d+--).*(?:\n|$)/gm, '');
	return r;
}

function run(args, opts = {}) {
	const o = opts.uid === undefined ? { agauthd: AGAUTHD, env: {} } : forOthers();
	const r = spawnSync(o.agauthd, args, { encoding: 'utf8', timeout: slow(30000), ...opts,
					       env: { ...(opts.env || process.env), ...o.env } });
	if (r.error)
		throw r.error;
	return ownStderr(r);
}

// ---------------------------------------------------------------- frames

function frame(body) {
	const b = Buffer.isBuffer(body) ? body : pack(body);
	const h = Buffer.alloc(4);
	h.writeUInt32BE(b.length);
	return Buffer.concat([h, b]);
}

/* Raw frame with an arbitrary announced length. */
function rawFrame(len, body = Buffer.alloc(0)) {
	const h = Buffer.alloc(4);
	h.writeUInt32BE(len >>> 0);
	return Buffer.concat([h, Buffer.from(body)]);
}

// ---------------------------------------------------------------- client

let clientSerial = 0;

/*
 * One connection.  Requests get ids (unless the caller sets one) and
 * promises that settle with the reply of that id; replies may come in any
 * order.  A reply whose id matches no pending request is kept in `strays`
 * (frames with id 0, as protocol errors carry, are kept in `unclaimed`
 * for nextFrame()).  When the connection closes every pending request is
 * rejected with err.code === 'ECLOSED'.
 */
class Client {
	constructor(sock) {
		this.sock = sock;
		this.serial = ++clientSerial;
		this.nextId = 1;
		this.pending = new Map();
		this.replies = [];           /* every decoded frame, in order */
		this.unclaimed = [];
		this.strays = [];
		this.frameWaiters = [];
		this.buf = Buffer.alloc(0);
		this.isClosed = false;
		this.closeErr = null;
		this.closed = new Promise((resolve) => { this._closedResolve = resolve; });
		sock.on('data', (d) => this._data(d));
		sock.on('error', (e) => { this.closeErr = e; });
		sock.on('close', () => this._close());
	}

	static connect(sockPath, { timeout = 10000 } = {}) {
		return new Promise((resolve, reject) => {
			const s = net.createConnection(sockPath);
			const t = setTimeout(() => { s.destroy(); reject(new Error(`connect ${sockPath}: timeout`)); }, slow(timeout));
			s.once('connect', () => { clearTimeout(t); s.removeAllListeners('error'); resolve(new Client(s)); });
			s.once('error', (e) => { clearTimeout(t); reject(e); });
		});
	}

	/* Connected and past hello. */
	static async open(sockPath, opts) {
		const c = await Client.connect(sockPath, opts);
		const r = await c.call('hello', { v: 1, client: 'integration' });
		assert.strictEqual(r.ok, true, `hello failed: ${show(r)}`);
		c.hello = r;
		return c;
	}

	_data(d) {
		this.buf = this.buf.length ? Buffer.concat([this.buf, d]) : d;
		while (this.buf.length >= 4) {
			const len = this.buf.readUInt32BE(0);
			if (this.buf.length < 4 + len)
				break;
			const body = this.buf.subarray(4, 4 + len);
			this.buf = this.buf.subarray(4 + len);
			let m;
			try {
				m = unpack(body);
			} catch (e) {
				m = { undecodable: body.toString('hex') };
			}
			this.replies.push(m);
			const p = m && typeof m.id === 'number' ? this.pending.get(m.id) : undefined;
			if (p) {
				this.pending.delete(m.id);
				clearTimeout(p.timer);
				p.resolve(m);
			} else if (m && m.id === 0) {
				this.unclaimed.push(m);
				this._wake();
			} else {
				this.strays.push(m);
				this._wake();
			}
		}
	}

	_wake() {
		const w = this.frameWaiters;
		this.frameWaiters = [];
		for (const f of w)
			f();
	}

	_close() {
		this.isClosed = true;
		for (const [id, p] of this.pending) {
			clearTimeout(p.timer);
			const e = new Error(`connection closed with request ${id} in flight`);
			e.code = 'ECLOSED';
			p.reject(e);
		}
		this.pending.clear();
		this._wake();
		this._closedResolve();
	}

	write(buf) {
		if (!this.isClosed)
			this.sock.write(buf);
	}

	/* Sends a request object; resolves with its reply. */
	send(req, { timeout } = {}) {
		if (req.id === undefined)
			req = { id: this.nextId++, ...req };
		return this.sendFrame(frame(req), req.id, { timeout });
	}

	/* Writes raw bytes and waits for the reply with id `id`. */
	sendFrame(bytes, id, { timeout } = {}) {
		timeout = timeout === undefined ? CALL_TIMEOUT : slow(timeout);
		return new Promise((resolve, reject) => {
			if (this.isClosed) {
				const e = new Error('connection already closed');
				e.code = 'ECLOSED';
				reject(e);
				return;
			}
			assert(!this.pending.has(id), `id ${id} already pending`);
			const timer = setTimeout(() => {
				this.pending.delete(id);
				reject(new Error(`client ${this.serial}: no reply to id ${id} within ${timeout} ms`));
			}, timeout);
			this.pending.set(id, { resolve, reject, timer });
			this.sock.write(bytes);
		});
	}

	call(op, args = {}, opts) {
		return this.send({ op, ...args }, opts);
	}

	/* The next frame with id 0 (protocol errors), or null if the
	 * connection closes first. */
	async nextFrame(timeout = 10000) {
		timeout = slow(timeout);
		const end = Date.now() + timeout;
		for (;;) {
			if (this.unclaimed.length)
				return this.unclaimed.shift();
			if (this.isClosed)
				return null;
			const left = end - Date.now();
			if (left <= 0)
				throw new Error(`client ${this.serial}: no frame within ${timeout} ms`);
			await new Promise((r) => {
				const t = setTimeout(r, left);
				this.frameWaiters.push(() => { clearTimeout(t); r(); });
			});
		}
	}

	/* Resolves true once the daemon has closed the connection, false if it
	 * is still open after `timeout` ms. */
	async waitClosed(timeout = 10000) {
		let t;
		timeout = slow(timeout);
		const r = await Promise.race([
			this.closed.then(() => true),
			new Promise((res) => { t = setTimeout(() => res(false), timeout); }),
		]);
		clearTimeout(t);
		return r;
	}

	end() {
		this.sock.end();
	}

	destroy() {
		this.sock.destroy();
	}
}

// ---------------------------------------------------------------- daemon

class Daemon {
	constructor(env) {
		this.env = env;
		this.stderr = '';
		this.stdout = '';
		this.clients = [];
	}

	/* Spawns agauthd -c env.conf and waits until it is ready. */
	static async start(env, opts = {}) {
		const d = new Daemon(env);
		await d.spawn(opts);
		return d;
	}

	/* env: variables added to the daemon's environment */
	async spawn({ wait = true, timeout = 15000, argv, env = {} } = {}) {
		const args = argv || [AGAUTHD, '-c', this.env.conf];
		this.stderr = '';
		this.exit = null;
		this.proc = spawn(args[0], args.slice(1), {
			stdio: ['ignore', 'pipe', 'pipe'],
			env: { ...process.env, ASAN_OPTIONS: process.env.ASAN_OPTIONS ||
				'detect_leaks=1:abort_on_error=0:exitcode=66',
			       UBSAN_OPTIONS: process.env.UBSAN_OPTIONS || 'print_stacktrace=1',
			       ...env },
		});
		this.pid = this.proc.pid;
		daemons.add(this);
		spawned.push(this.proc);
		this.proc.stderr.setEncoding('utf8');
		this.proc.stdout.setEncoding('utf8');
		this.proc.stderr.on('data', (s) => { this.stderr += s; });
		this.proc.stdout.on('data', (s) => { this.stdout += s; });
		this.exited = new Promise((resolve) => {
			this.proc.on('exit', (code, signal) => {
				daemons.delete(this);
				this.exit = { code, signal };
				resolve(this.exit);
			});
		});
		if (wait)
			await this.waitReady(timeout);
		return this;
	}

	get alive() {
		return this.exit === null;
	}

	/*
	 * Ready is what agauthd says it is: its "agauthd ready" line (logged
	 * at info, the level setup() configures, beside systemd's READY=1),
	 * and its socket answering.  A socket that takes connections is not
	 * enough: agauthd holds it from before it loads the state directory,
	 * gives up root and installs its signal handlers, so a test that
	 * went on at the first connect read a daemon still root, or killed
	 * one still starting with its SIGTERM.  The lines agauthd logged
	 * before it was ready are in this.stderr when this returns.
	 */
	async waitReady(timeout = 15000) {
		const sock = this.env.sock;
		await waitFor(async () => {
			if (!this.alive)
				throw new Error(`agauthd exited (${JSON.stringify(this.exit)}) before it was ready:\n${this.stderr}`);
			if (!/agauthd ready: /.test(this.stderr))
				return false;
			try {
				const c = await Client.connect(sock, { timeout: 1000 });
				c.destroy();
				return true;
			} catch (e) {
				return false;
			}
		}, { timeout, interval: 20, what: `agauthd ready on ${sock}` });
	}

	/* Connected client past hello (closed by stop()). */
	async client() {
		const c = await Client.open(this.env.sock);
		this.clients.push(c);
		return c;
	}

	async connect() {
		const c = await Client.connect(this.env.sock);
		this.clients.push(c);
		return c;
	}

	/* VmRSS in KiB. */
	rss() {
		const s = fs.readFileSync(`/proc/${this.pid}/status`, 'utf8');
		return Number(/VmRSS:\s+(\d+)/.exec(s)[1]);
	}

	signal(sig) {
		process.kill(this.pid, sig);
	}

	/* Waits for the daemon to exit by itself; the caller judges the
	 * exit status, this the stderr (no sanitizer report). */
	async waitExit(timeout = 15000) {
		const ex = await within(this.exited, timeout, `agauthd ${this.pid} exit`);

		judged.add(this.proc);
		this.assertClean();
		return ex;
	}

	sanitizerReport() {
		const m = SANITIZER_RE.exec(this.stderr);
		return m ? this.stderr.slice(Math.max(0, m.index - 200), m.index + 4000) : null;
	}

	assertClean() {
		const rep = this.sanitizerReport();
		assert.strictEqual(rep, null, `sanitizer report in agauthd's stderr:\n${rep}`);
	}

	/*
	 * SIGTERM; the daemon must exit with status 0 within the timeout and
	 * without any sanitizer report.  A daemon that already died (crash)
	 * fails here too, unless it was killed on purpose (expectKilled).
	 * Each process is judged once: stopping it again answers the same
	 * exit without a second verdict (an after hook's stop() after the
	 * test's own).
	 */
	async stop({ timeout = 15000, expectKilled = false } = {}) {
		for (const c of this.clients)
			c.destroy();
		this.clients = [];
		if (judged.has(this.proc))
			return this.exit;
		judged.add(this.proc);
		if (this.alive)
			this.signal('SIGTERM');
		let ex;
		try {
			ex = await within(this.exited, timeout, `agauthd ${this.pid} exit`);
		} catch (e) {
			try { this.signal('SIGKILL'); } catch (e2) { /* gone */ }
			await within(this.exited, 5000, 'agauthd after SIGKILL').catch(() => {});
			throw new Error(`agauthd did not exit within ${slow(timeout)} ms of SIGTERM:\n${this.stderr.slice(-3000)}`);
		}
		this.assertClean();
		if (!expectKilled)
			assert.deepStrictEqual(ex, { code: 0, signal: null },
					       `agauthd exit after SIGTERM: ${JSON.stringify(ex)}\n${this.stderr.slice(-3000)}`);
		return ex;
	}

	/* For after(): stop if a test failed half way; the test has failed
	 * already, but a sanitizer report is shown all the same.  (A test
	 * that passes has judged its daemon itself: stop() or waitExit().) */
	async cleanup() {
		if (this.proc && this.alive) {
			try {
				await this.stop();
			} catch (e) {
				console.error(`# agauthd ${this.pid} at cleanup: ${e.message.slice(0, 4000)}`);
			}
		}
	}
}

// ---------------------------------------------------------------- helpers

/* A token's header and payload as objects. */
function decodeToken(t) {
	const [h, p] = t.split('.');
	return {
		header: JSON.parse(Buffer.from(h, 'base64url').toString('utf8')),
		payload: JSON.parse(Buffer.from(p, 'base64url').toString('utf8')),
	};
}

/* Asserts an ok reply and returns it. */
function ok(r, what = 'request') {
	assert.strictEqual(r.ok, true, `${what} failed: ${show(r)}`);
	return r;
}

/* Asserts an error reply with this code (and name/message if given). */
function fails(r, code, { name, message, what = 'request' } = {}) {
	assert.strictEqual(r.ok, false, `${what} should fail with ${code}: ${show(r)}`);
	assert.strictEqual(r.code, code, `${what}: ${show(r)}`);
	if (name !== undefined)
		assert.strictEqual(r.name, name, `${what}: ${show(r)}`);
	if (message !== undefined) {
		if (message instanceof RegExp)
			assert.match(r.message, message, `${what}: ${show(r)}`);
		else
			assert.strictEqual(r.message, message, `${what}: ${show(r)}`);
	}
	return r;
}

/* `agauthctl watch` (--json with json) running on env's socket: its
 * output so far, its events (json), and `exited` once it has ended and
 * all its output is read ('close', not 'exit'). */
function ctlWatch(env, json = true) {
	const args = ['--socket', env.sock, ...(json ? ['--json'] : []), 'watch'];
	const w = { out: '', err: '', proc: spawn(AGAUTHCTL, args, { stdio: ['ignore', 'pipe', 'pipe'] }) };

	w.proc.stdout.setEncoding('utf8');
	w.proc.stderr.setEncoding('utf8');
	w.proc.stdout.on('data', (s) => { w.out += s; });
	w.proc.stderr.on('data', (s) => { w.err += s; });
	w.exited = new Promise((resolve) => w.proc.on('close', (code, signal) => resolve({ code, signal })));
	w.events = () => w.out.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l));
	return w;
}

/*
 * Prometheus text (the metrics op) taken apart: { families: {name: {help,
 * type}}, samples: Map of 'name{labels as sent}' -> number, value(name,
 * labels) }; throws on a line that is neither a comment nor a sample.
 * promtool (tests/metrics/) checks the format itself; this is for
 * reading the figures.
 */
function promText(text) {
	const families = {};
	const samples = new Map();

	for (const line of text.split('\n')) {
		let m;
		if (line === '')
			continue;
		if ((m = /^# (HELP|TYPE) (\w+) (.*)$/.exec(line))) {
			families[m[2]] = families[m[2]] || {};
			families[m[2]][m[1].toLowerCase()] = m[3];
		} else if ((m = /^(\w+(?:\{[^}]*\})?) (\S+)$/.exec(line))) {
			samples.set(m[1], Number(m[2]));
		} else {
			throw new Error(`not a line of Prometheus text: ${JSON.stringify(line)}`);
		}
	}
	const value = (name, labels = {}) => {
		const l = Object.entries(labels).map(([k, v]) => `${k}="${v}"`).join(',');
		return samples.get(l ? `${name}{${l}}` : name);
	};
	return { families, samples, value };
}

/* The verify reply's payload as an object. */
function payloadOf(r) {
	return JSON.parse(Buffer.from(r.payload).toString('utf8'));
}

/*
 * build/cache_client on a socket (tests/integration/cache_client.c): one
 * libagauth handle for its whole life, driven a line at a time; cmd(line)
 * resolves with its one-line answer.
 */
const CACHE_CLIENT = path.resolve(ROOT, process.env.CACHE_CLIENT || 'build/cache_client');

class CacheClient {
	static async start(sock) {
		const cc = new CacheClient();
		cc.proc = spawn(CACHE_CLIENT, [sock], { stdio: ['pipe', 'pipe', 'pipe'] });
		cc.err = '';
		cc.lines = [];
		cc.waiters = [];
		cc.proc.stderr.setEncoding('utf8');
		cc.proc.stderr.on('data', (s) => { cc.err += s; });
		cc.exited = new Promise((resolve) => cc.proc.on('exit', (code, signal) => {
			cc.exit = { code, signal };
			for (const w of cc.waiters.splice(0))
				w(null);
			resolve(cc.exit);
		}));
		require('node:readline').createInterface({ input: cc.proc.stdout }).on('line', (l) => {
			const w = cc.waiters.shift();
			if (w)
				w(l);
			else
				cc.lines.push(l);
		});
		assert.strictEqual(await cc.next(), 'ready', `cache_client: ${cc.err}`);
		return cc;
	}

	next(timeout = 20000) {
		if (this.lines.length)
			return Promise.resolve(this.lines.shift());
		if (this.exit)
			return Promise.resolve(null);
		return within(new Promise((resolve) => this.waiters.push(resolve)), timeout, 'cache_client answer');
	}

	async cmd(line, timeout) {
		this.proc.stdin.write(`${line}\n`);
		const r = await this.next(timeout);
		assert.notStrictEqual(r, null, `cache_client exited (${show(this.exit)}) on "${line.slice(0, 40)}": ${this.err}`);
		return r;
	}

	/*
	 * `verify tok` once the cache is fresh: the answer a cached token
	 * must give is "hit".  A reader calls the cache stale when the
	 * daemon's heartbeat is 2 s old (docs/cache.md), which a daemon
	 * starved of CPU on a loaded machine can be; that, and only that, is
	 * waited out (re-attaching, as a client does), for at most 20 s.  A
	 * miss is returned at once, for the caller's assertion to fail on.
	 * how: 'verify' (agauth_verify) or 'lookup' (agauth_cache_lookup).
	 */
	async hit(tok, how = 'verify') {
		const end = Date.now() + 20000;
		let p;
		while ((p = await this.cmd(`peek ${tok}`)) === 'stale' && Date.now() < end) {
			await sleep(50);
			await this.cmd('attach');
		}
		return p === 'hit' ? this.cmd(`${how} ${tok}`) : p;
	}

	async close() {
		if (!this.exit) {
			this.proc.stdin.end('quit\n');
			await within(this.exited, 10000, 'cache_client exit').catch(() => this.proc.kill('SIGKILL'));
		}
	}
}

module.exports = {
	ROOT, AGAUTHD, AGAUTHCTL, forOthers, TEST_TIMEOUT, SLOW, MEMCHECK, slow, ownStderr, Client, Daemon, setup, keygen, keyInfo, keyringText, ini, tmpdir,
	run, frame, rawFrame, pack, unpack, sleep, waitFor, within, decodeToken, ok,
	fails, payloadOf, show, ctlWatch, CacheClient, promText,
};

/* tests/activate.py as text, for `python3 -c` (read when asked: a copy of
 * this file run by another user has no tests/ beside it) */
Object.defineProperty(module.exports, 'ACTIVATE', {
	get: () => fs.readFileSync(path.join(__dirname, '..', 'activate.py'), 'utf8'),
});
