# activate.py PATH PROGRAM ARGS...: plays systemd's socket activation for
# the tests (tests/integration, tests/systemd): binds and listens on PATH
# (mode 0600), moves the socket to fd 3, sets LISTEN_FDS=1 and LISTEN_PID
# for its own pid and execs the program (so the pid stays the same).
import os, socket, sys
path, argv = sys.argv[1], sys.argv[2:]
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(path)
os.chmod(path, 0o600)
s.listen(128)
fd = s.detach()
if fd != 3:
    os.dup2(fd, 3)
    os.close(fd)
os.set_inheritable(3, True)
os.environ['LISTEN_FDS'] = '1'
os.environ['LISTEN_PID'] = str(os.getpid())
os.execv(argv[0], argv)
