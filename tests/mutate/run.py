#!/usr/bin/env python3
"""run.py - `make mutate`: does each mutation of tests/mutate/mutations.txt
make the suites that should catch it fail?

For each mutation: a scratch copy of the tree (the working tree as it is,
uncommitted changes included, with its build/ so that only what the
mutation touches is rebuilt; node_modules linked, not copied), the edit
applied there, the targets its suites need built, then its suites run one
after the other until one fails (killed) or all pass (survived).

    tests/mutate/run.py [--only NAME[,NAME...]] [--list | --check] [--every]

NAMEs may be shell patterns (`cache-*`).  --check only applies each
mutation to a copy of its file (no build, no suite: seconds).  --every
runs all of a mutation's suites, not only up to the first that fails,
and says how many caught it.  Before any mutation, each suite the chosen
mutations name runs once on the unmutated copy: a suite that fails there,
or runs no test at all (a name pattern that matches nothing), cannot
judge anything, and the run stops.

Prints a table and "N killed, N survived"; exits 1 if a mutation survived,
no longer applies (its text is not found exactly once: update it to the
code as it is now), or does not build (a mutation must compile).

Environment: MUTATE_LIST (another list, for trying a mutation out),
MUTATE_TIMEOUT (seconds a suite may run, default 600; a suite
that runs over kills the mutation, as a hang is a failure), MUTATE_KEEP=1
(keep the scratch directories), MUTATE_TMP (where they go, default $TMPDIR).
"""
import argparse
import fnmatch
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LIST = os.environ.get('MUTATE_LIST') or os.path.join(ROOT, 'tests', 'mutate', 'mutations.txt')
TIMEOUT = int(os.environ.get('MUTATE_TIMEOUT', '600'))
# the node_modules a copy links to instead of copying
NODE_MODULES = ('tests/node_modules', 'client/node/node_modules')
# built files the copy takes along (build/ is ignored by git)
BUILT = ('build', 'client/node/build', 'client/node/vendor')
NODE_TARGETS = ('all', 'build/cache_probe', 'build/cache_client')

# suite kind: (make targets, command before the kind's arguments);
# the Node suites run against the release daemon (quicker to build and
# run than build/san/agauthd; the sanitizers are make test's business)
KINDS = {
    'unit': (('build/unit',), ['build/unit', '--jobs', '1', '--filter']),
    'integration': (NODE_TARGETS, ['tests/integration/']),
    'node': (NODE_TARGETS, ['tests/node/']),
    'sc': (NODE_TARGETS, ['tests/sc/']),
    'diff': (NODE_TARGETS + ('build/agjwt',), ['tests/diff/']),
    # a fault program of tests/faults/ against build/agauthd: NAME ARGS
    'fault': (('build/agauthd',), []),
}


class Mutation:
    def __init__(self, name, line):
        self.name, self.line = name, line
        self.intent = self.file = None
        self.find, self.replace, self.suites = [], [], []

    def check(self):
        missing = [k for k in ('intent', 'file') if getattr(self, k) is None]
        if missing or not self.find or not self.suites:
            raise SystemExit(f'{LIST}:{self.line}: [{self.name}] needs intent, '
                             'file, find and at least one suite')
        for s in self.suites:
            if s[0] not in KINDS:
                raise SystemExit(f'{LIST}:{self.line}: [{self.name}]: unknown '
                                 f'suite kind {s[0]!r} (one of {", ".join(KINDS)})')


def parse(path):
    """The list: [name] sections of `key: value` lines; find and replace
    lines are taken as written after "key: " (tabs included), and several
    make several lines of text."""
    muts, m = [], None
    with open(path, encoding='utf-8') as f:
        for n, raw in enumerate(f, 1):
            line = raw.rstrip('\n')
            if line.startswith('#') or not line.strip():
                continue
            if line.startswith('['):
                if not line.endswith(']'):
                    raise SystemExit(f'{path}:{n}: a section is [name]')
                m = Mutation(line[1:-1], n)
                muts.append(m)
                continue
            key, sep, value = line.partition(':')
            if m is None or not sep:
                raise SystemExit(f'{path}:{n}: expected "key: value" in a [name] section')
            value = value[1:] if value.startswith(' ') else value
            if key in ('intent', 'file'):
                setattr(m, key, value)
            elif key in ('find', 'replace'):
                getattr(m, key).append(value)
            elif key == 'suite':
                kind, _, args = value.partition(' ')
                m.suites.append((kind, args))
            else:
                raise SystemExit(f'{path}:{n}: unknown key {key!r}')
    for m in muts:
        m.check()
    names = [m.name for m in muts]
    dup = {x for x in names if names.count(x) > 1}
    if dup:
        raise SystemExit(f'{path}: mutations named twice: {", ".join(sorted(dup))}')
    return muts


def copy_tree(dst):
    """The working tree into dst: files git knows or would know, built
    files, node_modules as links."""
    out = subprocess.run(['git', 'ls-files', '-z', '-co', '--exclude-standard'],
                         cwd=ROOT, check=True, capture_output=True).stdout
    files = [f for f in out.decode().split('\0') if f and os.path.lexists(os.path.join(ROOT, f))]
    for f in files:
        os.makedirs(os.path.join(dst, os.path.dirname(f)), exist_ok=True)
        shutil.copy2(os.path.join(ROOT, f), os.path.join(dst, f), follow_symlinks=False)
    for b in BUILT:
        src = os.path.join(ROOT, b)
        if os.path.isdir(src):
            shutil.copytree(src, os.path.join(dst, b), symlinks=True,
                            ignore=shutil.ignore_patterns('logs'))
        elif os.path.exists(src):
            shutil.copy2(src, os.path.join(dst, b))
    for nm in NODE_MODULES:
        os.symlink(os.path.join(ROOT, nm), os.path.join(dst, nm))


def mutated(m, tree):
    """(text of m.file in tree with the mutation, None) or (None, why it
    does not apply)."""
    path = os.path.join(tree, m.file)
    if not os.path.exists(path):
        return None, f'{m.file} does not exist'
    with open(path, encoding='utf-8') as f:
        text = f.read()
    find, repl = '\n'.join(m.find), '\n'.join(m.replace)
    n = text.count(find)
    if n != 1:
        return None, f'its find text is in {m.file} {n} times, not once'
    return text.replace(find, repl), None


def apply(m, tree):
    """Edits m.file in tree; returns None, or why it does not apply."""
    text, why = mutated(m, tree)
    if text is None:
        return why
    # a new file, so that make sees a source newer than its objects
    path = os.path.join(tree, m.file)
    os.unlink(path)
    with open(path, 'w', encoding='utf-8') as f:
        f.write(text)
    return None


def log_tail(path, n=25):
    with open(path, errors='replace') as f:
        return ''.join(f.readlines()[-n:])


def build(tree, targets, log):
    with open(log, 'a') as f:
        f.write(f'$ make {" ".join(targets)}\n')
        f.flush()
        return subprocess.run(['make', *targets], cwd=tree, stdout=f,
                              stderr=subprocess.STDOUT).returncode == 0


def suite_cmd(kind, args):
    base = KINDS[kind][1]
    if kind == 'unit':
        return base + [args]
    if kind == 'fault':
        name, *rest = args.split()
        return [f'build/{name}', 'build/agauthd', *rest]
    # node suites: FILE [NAME PATTERN]
    file, _, pattern = args.partition(' ')
    cmd = ['node', '--test', '--test-reporter=tap']
    if pattern:
        cmd.append(f'--test-name-pattern={pattern}')
    return cmd + [base[0] + file]


def tests_run(kind, out):
    """How many tests a suite's output says ran."""
    if kind == 'fault':
        return 1
    # (a test a name pattern leaves out counts as skipped, not as a pass)
    pat = r'Tested: (\d+)' if kind == 'unit' else r'^# pass (\d+)$'
    found = re.findall(pat, out, re.M)
    return int(found[-1]) if found else 0


def run_suite(tree, kind, args, log):
    """'pass', 'fail', 'timeout' or 'empty' (no test ran)."""
    env = dict(os.environ, AGAUTHD=os.path.join(tree, 'build', 'agauthd'),
               AGJWT=os.path.join(tree, 'build', 'agjwt'))
    cmd = suite_cmd(kind, args)
    with open(log, 'a') as f:
        f.write(f'$ {" ".join(cmd)}\n')
        f.flush()
        start = f.tell()
        # a process group of its own, so that a timeout ends all of it
        p = subprocess.Popen(cmd, cwd=tree, env=env, stdout=f,
                             stderr=subprocess.STDOUT, start_new_session=True)
        try:
            status = p.wait(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, 9)
            p.wait()
            return 'timeout'
    with open(log, errors='replace') as f:
        f.seek(start)
        ran = tests_run(kind, f.read())
    if status != 0:
        return 'fail'
    return 'pass' if ran > 0 else 'empty'


def targets_of(suites):
    t = []
    for kind, args in suites:
        more = KINDS[kind][0] + ((f'build/{args.split()[0]}',) if kind == 'fault' else ())
        t += [x for x in more if x not in t]
    return t


def run_all(muts, scratch, logdir, every):
    """Each mutation's result, (m, result, caught by), after the baseline;
    None if the baseline fails."""
    base = os.path.join(scratch, 'base')
    copy_tree(base)

    # the suites must pass without a mutation, or they judge nothing
    suites = []
    for m in muts:
        suites += [s for s in m.suites if s not in suites]
    blog = os.path.join(logdir, 'baseline.log')
    open(blog, 'w').close()
    if not build(base, targets_of(suites), blog):
        print(f'make mutate: the unmutated tree does not build:\n{log_tail(blog)}')
        return None
    for kind, args in suites:
        r = run_suite(base, kind, args, blog)
        if r != 'pass':
            print(f'make mutate: suite "{kind} {args}" does not pass without a mutation ({r}); '
                  f'see {os.path.relpath(blog, ROOT)}:\n{log_tail(blog)}')
            return None
    print(f'  baseline: {len(suites)} suites pass unmutated')

    results = []
    for m in muts:
        t0 = time.monotonic()
        tree = os.path.join(scratch, m.name)
        log = os.path.join(logdir, f'{m.name}.log')
        open(log, 'w').close()
        shutil.copytree(base, tree, symlinks=True)
        why = apply(m, tree)
        if why is not None:
            res, by = 'NOT APPLIED', why
        elif not build(tree, targets_of(m.suites), log):
            res, by = 'BROKEN', 'does not build: ' + log_tail(log, 3).strip().replace('\n', ' | ')
        else:
            caught = []
            for kind, args in m.suites:
                r = run_suite(tree, kind, args, log)
                if r in ('fail', 'timeout'):
                    caught.append(f'{kind} {args}' + (' (timeout)' if r == 'timeout' else ''))
                    if not every:
                        break
            res = 'killed' if caught else 'SURVIVED'
            by = '; '.join(caught) if caught else 'every suite passed'
            if every and caught:
                by = f'{len(caught)} of {len(m.suites)} suites: {by}'
        if not os.environ.get('MUTATE_KEEP'):
            shutil.rmtree(tree, ignore_errors=True)
        secs = time.monotonic() - t0
        results.append((m, res, by))
        print(f'  {m.name:34} {res:11} {secs:5.0f}s  {by}', flush=True)
    return results


def main():
    ap = argparse.ArgumentParser(description='run the mutations of tests/mutate/mutations.txt')
    ap.add_argument('--only', default='', help='NAME[,NAME...], shell patterns')
    ap.add_argument('--list', action='store_true', help='list the mutations and stop')
    ap.add_argument('--check', action='store_true',
                    help='only check that each mutation applies')
    ap.add_argument('--every', action='store_true',
                    help="run all of each mutation's suites")
    a = ap.parse_args()
    muts = parse(LIST)
    if a.only:
        pats = [p for p in a.only.split(',') if p]
        muts = [m for m in muts if any(fnmatch.fnmatchcase(m.name, p) for p in pats)]
        if not muts:
            raise SystemExit(f'make mutate: no mutation matches {a.only!r} (--list names them)')
    if a.list:
        for m in muts:
            print(f'{m.name:34} {m.file:28} {m.intent}')
        return 0
    if a.check:
        bad = [(m, why) for m in muts for _, why in [mutated(m, ROOT)] if why]
        for m, why in bad:
            print(f'  {m.name}: does not apply: {why}')
        print(f'{len(muts) - len(bad)} of {len(muts)} mutations apply')
        return 1 if bad else 0

    scratch = tempfile.mkdtemp(prefix='agauthd-mutate-', dir=os.environ.get('MUTATE_TMP'))
    # open to others, as a checkout is: suites run clients as other users
    os.chmod(scratch, 0o755)
    logdir = os.path.join(ROOT, 'build', 'logs', 'mutate')
    os.makedirs(logdir, exist_ok=True)
    print(f'make mutate: {len(muts)} mutations; logs in {os.path.relpath(logdir, ROOT)}/, '
          f'scratch copies in {scratch}')
    try:
        results = run_all(muts, scratch, logdir, a.every)
    finally:
        if not os.environ.get('MUTATE_KEEP'):
            shutil.rmtree(scratch, ignore_errors=True)
    if results is None:
        return 1
    print()
    print(f'{"mutation":34} {"file":26} {"result":11} intent / caught by')
    for m, res, by in results:
        print(f'{m.name:34} {m.file:26} {res:11} {m.intent}')
        print(f'{"":34} {"":26} {"":11} -> {by}')
    killed = sum(1 for _, r, _ in results if r == 'killed')
    survived = [m.name for m, r, _ in results if r == 'SURVIVED']
    bad = [m.name for m, r, _ in results if r in ('NOT APPLIED', 'BROKEN')]
    print()
    if survived:
        print(f'survived: {", ".join(survived)}')
    if bad:
        print(f'not applied or not built (update them to the code): {", ".join(bad)}')
    print(f'{killed} killed, {len(survived)} survived' +
          (f', {len(bad)} not applied' if bad else ''))
    return 1 if survived or bad else 0


if __name__ == '__main__':
    sys.exit(main())
