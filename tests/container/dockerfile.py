#!/usr/bin/env python3
"""dockerfile.py - runs the top Dockerfile's steps without docker.

    dockerfile.py BASE_TAR CACHE_DIR WORK_DIR

Each stage starts from BASE_TAR (a Debian 12 minbase root from
mmdebstrap, standing for debian:12-slim) unpacked under WORK_DIR/STAGE;
RUN runs in a chroot (in a private mount namespace with /proc, /dev and
the host's resolv.conf), COPY copies from the build context (the checkout,
less .dockerignore) or from an earlier stage, WORKDIR, USER, ENV,
VOLUME, HEALTHCHECK and ENTRYPOINT are recorded.  Like docker's layer
cache, the root after a RUN that comes before any COPY in its stage is
kept in CACHE_DIR under the digest of the base and the steps so far, and
unpacked instead of run the next time.

Prints each step as it runs it ("cached" when it came from the cache) and
writes WORK_DIR/image.json: the last stage's root and its recorded
settings.  Cached roots no step of this Dockerfile used are removed.
Needs root (chroot, mount).
"""
import fnmatch
import hashlib
import json
import os
import shlex
import shutil
import subprocess
import sys
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))


def instructions(path):
    """(KEYWORD, rest) per instruction; comments and blank lines out,
    backslash continuations joined."""
    out, cur = [], ''
    for line in open(path, encoding='utf-8'):
        line = line.rstrip('\n')
        if not cur and (not line.strip() or line.lstrip().startswith('#')):
            continue
        if line.endswith('\\'):
            cur += line[:-1] + ' '
            continue
        cur += line
        word, _, rest = cur.strip().partition(' ')
        out.append((word.upper(), rest.strip()))
        cur = ''
    return out


def context_files():
    """The build context: files git knows or would (not ignored), less
    what .dockerignore names."""
    names = subprocess.run(['git', 'ls-files', '-z', '--cached', '--others',
                            '--exclude-standard'], cwd=ROOT, check=True,
                           capture_output=True).stdout.decode().split('\0')
    pats = [p.strip() for p in open(os.path.join(ROOT, '.dockerignore'))
            if p.strip() and not p.startswith('#')]

    def ignored(n):
        parts = n.split('/')
        for p in pats:
            for i in range(1, len(parts) + 1):
                if fnmatch.fnmatch('/'.join(parts[:i]), p) or \
                   fnmatch.fnmatch('/'.join(parts[:i]), p.replace('**/', '')):
                    return True
        return False
    return [n for n in names if n and os.path.lexists(os.path.join(ROOT, n))
            and not ignored(n)]


def chroot_run(root, workdir, env, cmd):
    script = ('set -e; mount --rbind /dev "$R/dev"; mount -t proc proc "$R/proc"; '
              'cp /etc/resolv.conf "$R/etc/resolv.conf"; '
              'exec chroot "$R" /usr/bin/env -i ' +
              ' '.join(shlex.quote(f'{k}={v}') for k, v in env.items()) +
              ' /bin/sh -c ' + shlex.quote(f'cd {shlex.quote(workdir)} && {cmd}'))
    subprocess.run(['unshare', '--mount', '--propagation', 'private', 'sh', '-c', script],
                   env={'R': root, 'PATH': os.environ['PATH']}, check=True)


def copy_into(root, workdir, srcs, dest, from_root):
    dest = dest if dest.startswith('/') else os.path.join(workdir, dest)
    target = os.path.join(root, dest.lstrip('/'))
    if from_root is None and srcs == ['.']:
        for n in context_files():
            to = os.path.join(target, n)
            os.makedirs(os.path.dirname(to), exist_ok=True)
            shutil.copy2(os.path.join(ROOT, n), to, follow_symlinks=False)
        return
    for s in srcs:
        src = os.path.join(from_root, s.lstrip('/')) if from_root else os.path.join(ROOT, s)
        if dest.endswith('/') or len(srcs) > 1:
            os.makedirs(target, exist_ok=True)
            to = os.path.join(target, os.path.basename(s))
        else:
            os.makedirs(os.path.dirname(target), exist_ok=True)
            to = target
        shutil.copy2(src, to)


def main():
    base, cache, work = sys.argv[1:4]
    os.makedirs(cache, exist_ok=True)
    with open(base, 'rb') as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    stages, cur, used = {}, None, set()
    default_env = {'PATH': '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
                   'DEBIAN_FRONTEND': 'noninteractive', 'HOME': '/root'}
    for word, rest in instructions(os.path.join(ROOT, 'Dockerfile')):
        t0 = time.time()
        note = ''
        if word == 'FROM':
            image, _, name = rest.partition(' AS ')
            name = name.strip() or str(len(stages))
            root = os.path.join(work, name)
            os.makedirs(root)
            subprocess.run(['tar', '-xf', base, '-C', root], check=True)
            cur = {'root': root, 'image': image.strip(), 'workdir': '/',
                   'env': dict(default_env), 'user': 'root', 'key': digest,
                   'cacheable': True, 'volumes': [], 'healthcheck': None,
                   'entrypoint': None}
            stages[name] = cur
        elif word == 'RUN':
            cur['key'] = hashlib.sha256((cur['key'] + rest).encode()).hexdigest()
            tar = os.path.join(cache, cur['key'] + '.tar')
            used.add(os.path.basename(tar))
            if cur['cacheable'] and os.path.exists(tar):
                shutil.rmtree(cur['root'])
                os.makedirs(cur['root'])
                subprocess.run(['tar', '-xf', tar, '-C', cur['root']], check=True)
                note = ' (cached)'
            else:
                chroot_run(cur['root'], cur['workdir'], cur['env'], rest)
                if cur['cacheable']:
                    subprocess.run(['tar', '-cf', tar + '.tmp', '-C', cur['root'], '.'], check=True)
                    os.rename(tar + '.tmp', tar)
        elif word == 'COPY':
            args = shlex.split(rest)
            src_stage = None
            if args[0].startswith('--from='):
                src_stage = stages[args.pop(0)[7:]]['root']
            copy_into(cur['root'], cur['workdir'], args[:-1], args[-1], src_stage)
            cur['cacheable'] = False
        elif word == 'WORKDIR':
            cur['workdir'] = rest
            os.makedirs(os.path.join(cur['root'], rest.lstrip('/')), exist_ok=True)
        elif word == 'USER':
            cur['user'] = rest
        elif word == 'ENV':
            k, _, v = rest.partition('=')
            cur['env'][k] = v
        elif word == 'VOLUME':
            cur['volumes'] = json.loads(rest)
        elif word == 'HEALTHCHECK':
            cur['healthcheck'] = json.loads(rest[rest.index('CMD') + 3:])
        elif word == 'ENTRYPOINT':
            cur['entrypoint'] = json.loads(rest)
        else:
            sys.exit(f'dockerfile.py: {word} is not supported: run the image with docker')
        print(f'{word} {rest[:100]}{note} [{time.time() - t0:.1f} s]', flush=True)
    with open(os.path.join(work, 'image.json'), 'w') as f:
        json.dump(cur, f, indent=1)
    # the layers of older Dockerfiles go
    for n in os.listdir(cache):
        if n not in used:
            os.remove(os.path.join(cache, n))


if __name__ == '__main__':
    main()
