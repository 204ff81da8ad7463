#!/usr/bin/env bash
# Start-up cost against history: seeds, through the API, a server with OPEN open incidents
# and CLOSED closed ones (closed "two days ago" as the console sees it: the console runs
# under faketime +2d, so none is in its 24 h recent window), then starts the real console
# in a pseudo-terminal (80x24), alternating between the small and the big database, RUNS
# times each: time from start to a full board (the header counts every open incident),
# console RSS then, bytes the console received on its TCP connections (ss -tinp), and its
# idle wake-ups a second (context switches of all its threads over
# IDLE seconds with nothing changing).
#
#   scripts/bench-history.sh [BIN]   (default target/release/sitrep)
#   SMALL=900 BIG=99900 OPEN=100 RUNS=3 IDLE=20 scripts/bench-history.sh
#   BEFORE=/path/to/older/sitrep scripts/bench-history.sh   (also measures that console,
#   against the same servers, for a before/after)
set -euo pipefail
BIN=${1:-target/release/sitrep}
OPEN=${OPEN:-100} SMALL=${SMALL:-900} BIG=${BIG:-99900} RUNS=${RUNS:-3} IDLE=${IDLE:-20}
[ -e /usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1 ] || { echo "needs libfaketime (apt-get install faketime)" >&2; exit 1; }
work=$(mktemp -d)
pids=()
# `serve` runs in a process substitution (a subshell): its servers' pids go to files.
cleanup() { for f in "$work"/*.pid; do [ -e "$f" ] && kill "$(cat "$f")" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

serve() { # name closed -> prints "port token"
  local db="$work/$1.db" port
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  local token; token=$("$BIN" token create --role commander --name bench --db "$db")
  SITREP_LOG=warn "$BIN" serve --db "$db" --listen "127.0.0.1:$port" >/dev/null 2>&1 &
  echo $! > "$work/$1.pid"
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

measure() { # label port token [console binary]
  python3 - "${4:-$BIN}" "$2" "$3" "$OPEN" "$IDLE" "$1" <<'PY'
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
import pyte  # a terminal emulator: the console draws differences, not whole lines
term = pyte.Screen(80, 24); stream = pyte.ByteStream(term)
want = re.compile(r"SEV3\s+" + open_ + r"\b")
done = False
while time.monotonic() - t0 < 60 and not done:
    r, _, _ = select.select([fd], [], [], 0.02)
    if r:
        stream.feed(os.read(fd, 65536))
        done = any(want.search(line) for line in term.display[:4])
full = time.monotonic() - t0
if not done:
    sys.stderr.write("no full board within 60 s:\n" + "\n".join(term.display) + "\n")
def proc(p):
    rss = int(re.search(r"VmRSS:\s+(\d+)", open(f"/proc/{p}/status").read()).group(1))
    # Bytes received on the console's TCP connections (the API's answers and the stream).
    import subprocess
    out = subprocess.run(["ss", "-tinpH"], capture_output=True, text=True).stdout.splitlines()
    got, mine = 0, False
    for line in out:
        if not line.startswith((" ", "\t")):
            mine = f"pid={p}," in line
        m = re.search(r"bytes_received:(\d+)", line)
        if mine and m:
            got += int(m.group(1)); mine = False
    return rss, got
def switches(p):
    n = {}
    for t in os.listdir(f"/proc/{p}/task"):
        s = open(f"/proc/{p}/task/{t}/status").read()
        name = open(f"/proc/{p}/task/{t}/comm").read().strip()
        n[name + "/" + t] = sum(int(x) for x in re.findall(r"(?:nonv|v)oluntary_ctxt_switches:\s+(\d+)", s))
    return n
rss, rchar = proc(pid)
time.sleep(1); a = switches(pid)
end = time.monotonic() + int(idle)
while time.monotonic() < end:  # keep the pty drained
    r, _, _ = select.select([fd], [], [], 0.5)
    if r: os.read(fd, 65536)
b = switches(pid)
per = {k: (b[k] - a.get(k, 0)) / int(idle) for k in b if b[k] - a.get(k, 0)}
wakes = sum(per.values())
if os.environ.get("PER_THREAD"): sys.stderr.write(f"{label} wake-ups by thread: {per}\n")
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
  if [ -n "${BEFORE:-}" ]; then
    measure "run $run small ($OPEN+$SMALL) BEFORE" "$sport" "$stoken" "$BEFORE"
    measure "run $run big   ($OPEN+$BIG) BEFORE" "$bport" "$btoken" "$BEFORE"
  fi
done
