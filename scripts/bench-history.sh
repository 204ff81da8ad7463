#!/usr/bin/env bash
# Start-up cost against history: seeds, through the API, a server with OPEN open incidents
# and CLOSED closed ones (closed "two days ago" as the console sees it: the console runs
# under faketime +2d, so none is in its 24 h recent window), then starts the real console
# in a pseudo-terminal (80x24), alternating between the small and the big database, RUNS
# times each: time from start to a full board (the header counts every open incident),
# console RSS then, bytes the console read (/proc/PID/io rchar, nearly all of it the API's
# answers), and its idle wake-ups a second (context switches of all its threads over
# IDLE seconds with nothing changing).
#
#   scripts/bench-history.sh [BIN]   (default target/release/sitrep)
#   SMALL=900 BIG=99900 OPEN=100 RUNS=3 IDLE=20 scripts/bench-history.sh
set -euo pipefail
BIN=${1:-target/release/sitrep}
OPEN=${OPEN:-100} SMALL=${SMALL:-900} BIG=${BIG:-99900} RUNS=${RUNS:-3} IDLE=${IDLE:-20}
[ -e /usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1 ] || { echo "needs libfaketime (apt-get install faketime)" >&2; exit 1; }
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

serve() { # name closed -> prints "port token"
  local db="$work/$1.db" port
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  local token; token=$("$BIN" token create --role commander --name bench --db "$db")
  SITREP_LOG=warn "$BIN" serve --db "$db" --listen "127.0.0.1:$port" >/dev/null 2>&1 &
  pids+=($!)
  for _ in $(seq 100); do curl -fs "http://127.0.0.1:$port/api/v1/health" >/dev/null && break; sleep 0.1; done
  python3 - "$port" "$token" "$2" "$OPEN" <<'PY'
import http.client, json, sys
port, token, closed, open_ = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
c = http.client.HTTPConnection("127.0.0.1", port)
h = {"Authorization": "Bearer " + token, "Content-Type": "application/json"}
def call(method, path, body, extra={}):
    c.request(method, "/api/v1" + path, json.dumps(body), {**h, **extra})
    r = c.getresponse(); data = r.read()
    assert r.status < 300, (r.status, data)
    return json.loads(data)
for i in range(closed):
    inc = call("POST", "/incidents", {"title": f"Closed {i}", "severity": "SEV4"})
    call("PATCH", f"/incidents/{inc['id']}", {"phase": "closed"}, {"If-Match": f"\"{inc['version']}\""})
for i in range(open_):
    call("POST", "/incidents", {"title": f"Open {i}", "severity": "SEV3"})
PY
  echo "$port $token"
}

measure() { # label port token
  python3 - "$BIN" "$2" "$3" "$OPEN" "$IDLE" "$1" <<'PY'
import os, pty, select, sys, time, struct, fcntl, termios, re
binp, port, token, open_, idle, label = sys.argv[1:7]
tf = f"/tmp/bench-token-{os.getpid()}"
open(tf, "w").write(token); os.chmod(tf, 0o600)
home = f"/tmp/bench-home-{os.getpid()}"; os.makedirs(home, exist_ok=True)
t0 = time.monotonic()
pid, fd = pty.fork()
if pid == 0:
    fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    os.environ.update({"HOME": home, "XDG_DATA_HOME": home, "XDG_CONFIG_HOME": home,
        "TERM": "xterm-256color", "FAKETIME": "+2d", "SITREP_LOG": "warn",
        "LD_PRELOAD": "/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1"})
    os.execvp(binp, [binp, "--api", f"http://127.0.0.1:{port}", "--token-file", tf])
fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
screen, want = b"", re.compile(rb"SEV3\s+" + open_.encode() + rb"\b")
while time.monotonic() - t0 < 60:
    r, _, _ = select.select([fd], [], [], 0.05)
    if r:
        screen += os.read(fd, 65536)
        if want.search(screen[-4000:]): break
full = time.monotonic() - t0
if not want.search(screen[-4000:]):
    sys.stderr.write("no full board within 60 s; the screen ended with: %r\n" % screen[-600:])
def proc(p):
    rss = int(re.search(r"VmRSS:\s+(\d+)", open(f"/proc/{p}/status").read()).group(1))
    rchar = int(re.search(r"rchar: (\d+)", open(f"/proc/{p}/io").read()).group(1))
    return rss, rchar
def switches(p):
    n = 0
    for t in os.listdir(f"/proc/{p}/task"):
        s = open(f"/proc/{p}/task/{t}/status").read()
        n += sum(int(x) for x in re.findall(r"(?:nonv|v)oluntary_ctxt_switches:\s+(\d+)", s))
    return n
rss, rchar = proc(pid)
time.sleep(1); a = switches(pid)
end = time.monotonic() + int(idle)
while time.monotonic() < end:  # keep the pty drained
    r, _, _ = select.select([fd], [], [], 0.5)
    if r: os.read(fd, 65536)
wakes = (switches(pid) - a) / int(idle)
os.kill(pid, 15); os.waitpid(pid, 0); os.remove(tf)
print(f"{label}\tfull board {full*1000:.0f} ms\tRSS {rss/1024:.1f} MiB\tread {rchar/1024:.0f} KiB\tidle wake-ups {wakes:.1f}/s")
PY
}

read -r sport stoken < <(serve small "$SMALL")
read -r bport btoken < <(serve big "$BIG")
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "binary: $BIN; $OPEN open + $SMALL closed vs $OPEN open + $BIG closed"
for run in $(seq "$RUNS"); do
  measure "run $run small ($OPEN+$SMALL)" "$sport" "$stoken"
  measure "run $run big   ($OPEN+$BIG)" "$bport" "$btoken"
done
