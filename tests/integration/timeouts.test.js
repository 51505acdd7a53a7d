'use strict';
/*
 * 13. Timeouts: idle connections are closed after idle_timeout, stalled
 * frames after frame_timeout; a connection that is waiting for the daemon
 * (requests in flight, or held back by flow control) is neither.
 */
const test = require('node:test');
const assert = require('node:assert');

const h = require('./harness');

/* Pipelines n RS256 signs on c (corked: one burst); resolves with the
 * replies and the time they took. */
async function signs(c, n) {
	const t0 = Date.now();
	c.sock.cork();
	const ps = [];
	for (let i = 0; i < n; i++)
		ps.push(c.call('sign', { payload: JSON.stringify({ i }) }, { timeout: 60000 }));
	c.sock.uncork();
	const rs = await Promise.all(ps);
	return { rs, ms: Date.now() - t0 };
}

/* The key the busy tests sign with: RSA-4096, whose signatures take
 * about a millisecond each even on OpenSSL (RSA-2048's 0.25 ms let 4000
 * signs end in 1.5 s, too soon for what the tests prove). */
const SLOW_KEY = 'rsa4096';

/* How many pipelined RS256 signs keep one crypto thread busy for about
 * `ms` milliseconds on this machine. */
async function signsFor(c, ms) {
	await signs(c, 10);             /* warm-up */
	const { ms: took } = await signs(c, 60);
	const per = Math.max(took / 60, 0.05);
	return Math.min(4000, Math.max(40, Math.ceil(ms / per)));
}

/* Pipelines enough signs to keep the daemon busy for at least 1.5 s (the
 * estimate is redone, bounded, if the machine got faster meanwhile). */
async function busySigns(c) {
	let n = await signsFor(c, 3000);
	for (let attempt = 0; ; attempt++) {
		const res = await signs(c, n);
		res.n = n;
		/* the machine may speed up after the estimate: double until it
		 * takes long enough (or give up, and the caller says so) */
		if (res.ms > 1500 || attempt === 5 || n >= 4000)
			return res;
		n = Math.min(4000, n * 2);
	}
}

/* How long after `since` (Date.now()) c was closed, at most `ms` later. */
async function closedAfter(c, since, ms, what) {
	assert.ok(await c.waitClosed(ms), `${what} still open ${ms} ms later`);
	return Date.now() - since;
}

/*
 * The windows: a connection may not close before its timeout, counted
 * from before its last activity (the daemon's clock starts later, never
 * earlier; 20 ms for the clocks' granularity); it closes within the
 * timeout plus the 1 s the daemon's timer may add, plus 2 s for a loaded
 * machine to run the daemon's timer and this process.
 */
const GRAIN = 20;
const LATE = 1000 + 2000;

test('idle_timeout = 1 closes an idle connection within about 2 s', { timeout: h.TEST_TIMEOUT }, async (t) => {
	const env = h.setup({ conf: { limits: { idle_timeout: 1 } } });
	const d = await h.Daemon.start(env);
	t.after(() => d.cleanup());
	for (const hello of [true, false]) {
		const t0 = Date.now();
		const c = hello ? await h.Client.open(env.sock) : await h.Client.connect(env.sock);
		const took = await closedAfter(c, t0, 1000 + LATE + 3000, `idle connection (hello: ${hello})`);
		t.diagnostic(`idle connection (hello: ${hello}) closed ${took} ms after it was opened`);
		assert.ok(took >= 1000 - GRAIN && took <= 1000 + LATE, `closed after ${took} ms, want 1 to 2 s (4 s under load)`);
	}
	/* a connection that keeps asking is not idle: a request every 100 ms
	 * (if this process is held up for as long as idle_timeout between
	 * two of them, the daemon is right to close it, and says so) */
	const c = await h.Client.open(env.sock);
	const end = Date.now() + 2500;
	let last = Date.now(), gap = 0;
	while (Date.now() < end && !c.isClosed) {
		const sent = Date.now();
		gap = Math.max(gap, sent - last);
		last = sent;
		h.ok(await c.call('ping'));
		await h.sleep(100);
	}
	t.diagnostic(`requests at most ${gap} ms apart`);
	assert.ok(!c.isClosed || gap >= 1000 - GRAIN, `a connection with requests at most ${gap} ms apart was closed as idle`);
	c.destroy();
	await d.stop();
});

test('a connection with requests in flight is not closed as idle', { timeout: h.TEST_TIMEOUT }, async (t) => {
	const env = h.setup({
		keys: [{ name: 'rs1', type: SLOW_KEY, state: 'primary' }],
		conf: { daemon: { threads: 1 }, limits: { idle_timeout: 1, max_inflight: 4096 } },
	});
	const d = await h.Daemon.start(env);
	t.after(() => d.cleanup());
	const c = await h.Client.open(env.sock);
	const { rs, ms, n } = await busySigns(c);
	t.diagnostic(`${n} RS256 signs in flight for ${ms} ms`);
	rs.forEach((r, i) => h.ok(r, `sign ${i} of ${n}`));
	assert.ok(ms > 1500, `the signs took only ${ms} ms: the test proves nothing`);
	/* and once they are answered, the connection is idle */
	assert.ok(await c.waitClosed(5000), 'not closed once idle');
	await d.stop();
});

test('idle time starts when the last reply is ready, not when the last request came', { timeout: h.TEST_TIMEOUT }, async (t) => {
	/* a client that waited longer than idle_timeout for its replies,
	 * then thinks for less than idle_timeout before it asks again, was
	 * never idle that long; closing it whenever the timer happened to
	 * fire in that pause (at random phase, every idle_timeout while the
	 * daemon was busy) is what failed under valgrind, where a starved
	 * event loop ran the overdue timer right after the last reply */
	const IDLE = 2, PAUSE = 1400, ROUNDS = 4;
	const env = h.setup({
		keys: [{ name: 'rs1', type: SLOW_KEY, state: 'primary' }],
		conf: { daemon: { threads: 1 }, limits: { idle_timeout: IDLE, max_inflight: 4096 } },
	});
	const d = await h.Daemon.start(env);
	t.after(() => d.cleanup());
	const c = await h.Client.open(env.sock);
	let n = await signsFor(c, 1500 * IDLE);
	for (let round = 0; round < ROUNDS; round++) {
		const res = await signs(c, n);
		res.rs.forEach((r, i) => h.ok(r, `round ${round}: sign ${i} of ${n}`));
		t.diagnostic(`round ${round}: ${n} RS256 signs in flight for ${res.ms} ms, then ${PAUSE} ms without a request`);
		/* busy for longer than idle_timeout, or the test proves nothing */
		if (res.ms < 1200 * IDLE)
			n = Math.min(4000, n * 2);
		await h.sleep(PAUSE);
		assert.strictEqual(c.isClosed, false, `round ${round}: closed ${PAUSE} ms after its last reply (idle_timeout ${IDLE} s)`);
		h.ok(await c.call('ping'), `round ${round}: ping`);
	}
	assert.ok(await c.waitClosed(5000), 'not closed once idle');
	await d.stop();
});

test('a connection held back by flow control is not closed as a stalled frame', { timeout: h.TEST_TIMEOUT }, async (t) => {
	/* max_inflight 4: the daemon stops reading and holds the rest of the
	 * pipelined frames; that is the daemon waiting, not the peer */
	const env = h.setup({
		keys: [{ name: 'rs1', type: SLOW_KEY, state: 'primary' }],
		conf: { daemon: { threads: 1 }, limits: { frame_timeout: 1, idle_timeout: 60, max_inflight: 4 } },
	});
	const d = await h.Daemon.start(env);
	t.after(() => d.cleanup());
	const c = await h.Client.open(env.sock);
	const { rs, ms, n } = await busySigns(c).catch((e) => { throw new Error(`pipelined signs: ${e.message}`); });
	t.diagnostic(`${n} RS256 signs through max_inflight 4 in ${ms} ms`);
	rs.forEach((r, i) => h.ok(r, `sign ${i} of ${n}`));
	assert.ok(ms > 1500, `the signs took only ${ms} ms: the test proves nothing`);
	assert.strictEqual(c.isClosed, false);
	h.ok(await c.call('ping'));
	c.destroy();
	await d.stop();
});

test('a frame that stalls after the connection sat idle is closed after frame_timeout', { timeout: h.TEST_TIMEOUT }, async (t) => {
	const env = h.setup({ conf: { limits: { frame_timeout: 2, idle_timeout: 60 } } });
	const d = await h.Daemon.start(env);
	t.after(() => d.cleanup());
	const c = await h.Client.open(env.sock);
	/* idle for a while first (longer than frame_timeout), then half a
	 * frame: the stall is timed from the frame, not from the idle timer */
	await h.sleep(2500);
	assert.strictEqual(c.isClosed, false);
	const t0 = Date.now();
	c.write(h.frame({ id: 5, op: 'ping' }).subarray(0, 6));
	const took = await closedAfter(c, t0, 2000 + LATE + 3000, 'a stalled half frame (frame_timeout 2)');
	t.diagnostic(`closed ${took} ms after the half frame`);
	assert.ok(took >= 2000 - GRAIN && took <= 2000 + LATE, `closed after ${took} ms, want frame_timeout (2 s) to about 3 s (5 s under load)`);
	await d.stop();
});

test('a client that never reads its replies is closed after idle_timeout', { timeout: h.TEST_TIMEOUT }, async (t) => {
	const env = h.setup({ conf: { limits: { idle_timeout: 1 } } });
	const d = await h.Daemon.start(env);
	t.after(() => d.cleanup());
	const net = require('node:net');
	const admin = await d.client();
	const connections = async () => h.ok(await admin.call('stats')).connections;

	/* hello and 20,000 pings: megabytes of replies for a socket that is
	 * never read, so the daemon's output waits */
	const s = net.connect(env.sock);
	await new Promise((r) => s.once('connect', r));
	s.pause();
	const frames = [h.frame({ id: 1, op: 'hello', v: 1 })];
	for (let i = 2; i < 20002; i++)
		frames.push(h.frame({ id: i, op: 'ping' }));
	s.write(Buffer.concat(frames));
	await h.waitFor(async () => (await connections()) === 2,
			{ timeout: 5000, what: 'the reader-less client connected' });
	const t0 = Date.now();
	await h.waitFor(async () => (await connections()) === 1,
			{ timeout: 8000, what: 'the client that does not read closed' });
	const took = Date.now() - t0;
	t.diagnostic(`closed ${took} ms after its replies began to wait`);
	assert.ok(took <= 5000, `closed after ${took} ms`);
	h.ok(await admin.call('ping'));
	s.destroy();
	await d.stop();
});
