#!/usr/bin/env bash
# http-hello under wrk: Thredo's examples/Thredo.Examples http-hello against an ASP.NET Core minimal API
# (bench/Kestrel), same body ("Hello, World!"), loopback only. Prints requests/s and Thredo/Kestrel.
#
#   bench/http/run.sh                 build both, then pinned (server on CPU 0, wrk on CPU 1) and unpinned runs
#   RUNS=3 DURATION=10s bench/http/run.sh
#   SKIP_BUILD=1 MODES="pinned" bench/http/run.sh
#   THREDO_ARGS="--schedulers 2" bench/http/run.sh      (extra http-hello options: --schedulers N, --no-foreign-watch)
#
# Each server is started once per mode, warmed up with a short wrk run (JIT, tiering, connection
# set-up), then measured RUNS times with `wrk -t2 -c100 -d$DURATION`; the table gives the median
# and every run. Needs wrk (installed with apt-get when missing and running as root).
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)

RUNS=${RUNS:-3}
DURATION=${DURATION:-10s}
WARMUP=${WARMUP:-10s}
THREADS=${THREADS:-2}
CONNS=${CONNS:-100}
MODES=${MODES:-"pinned unpinned"}
SERVER_CPUS=${SERVER_CPUS:-0}
WRK_CPUS=${WRK_CPUS:-1}
THREDO_PORT=${THREDO_PORT:-18080}
KESTREL_PORT=${KESTREL_PORT:-18081}

# shellcheck source=../require-wrk.sh
source bench/require-wrk.sh

if [ "${SKIP_BUILD:-0}" != 1 ]; then
  echo "== building Thredo (./build.sh) and bench/Kestrel"
  ./build.sh >/dev/null
  dotnet build bench/Kestrel/Kestrel.csproj -c Release -nologo -v quiet -clp:ErrorsOnly >/dev/null
fi
thredo_dll=examples/Thredo.Examples/bin/Release/net10.0/Thredo.Examples.dll
kestrel_dll=bench/Kestrel/bin/Release/net10.0/Kestrel.dll
for f in "$thredo_dll" "$kestrel_dll"; do
  [ -f "$f" ] || { echo "run.sh: $f missing (build first)" >&2; exit 1; }
done

server_pid=
stop_server() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  server_pid=
}
trap stop_server EXIT

wait_port() {
  for _ in $(seq 300); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    kill -0 "$server_pid" 2>/dev/null || { echo "run.sh: server exited before listening" >&2; return 1; }
    sleep 0.1
  done
  echo "run.sh: nothing listens on 127.0.0.1:$1 after 30 s" >&2; return 1
}

# start_server NAME MODE PORT: starts the server in the background (pinned or not), sets server_pid.
start_server() {
  local name=$1 mode=$2 port=$3 pin=()
  [ "$mode" = pinned ] && pin=(taskset -c "$SERVER_CPUS")
  case "$name" in
    thredo)  "${pin[@]}" dotnet "$thredo_dll" http-hello --port "$port" ${THREDO_ARGS:-} >/tmp/thredo-http.$$.log 2>&1 & ;;
    kestrel) DOTNET_gcServer=0 "${pin[@]}" dotnet "$kestrel_dll" --urls "http://127.0.0.1:$port" >/tmp/kestrel-http.$$.log 2>&1 & ;;
  esac
  server_pid=$!
  wait_port "$port"
}

# run_wrk MODE PORT DURATION -> prints requests/s
run_wrk() {
  local mode=$1 port=$2 d=$3 pin=() out
  [ "$mode" = pinned ] && pin=(taskset -c "$WRK_CPUS")
  out=$("${pin[@]}" wrk -t"$THREADS" -c"$CONNS" -d"$d" "http://127.0.0.1:$port/")
  if grep -q 'Non-2xx\|Socket errors' <<<"$out"; then echo "$out" | grep 'Non-2xx\|Socket errors' >&2; fi
  awk '/^Requests\/sec:/ { print $2 }' <<<"$out"
}

median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{ a[NR] = $1 } END { if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

declare -A results
echo "== load average before: $(cut -d" " -f1-3 /proc/loadavg)"
echo "== wrk -t$THREADS -c$CONNS -d$DURATION, $RUNS run(s) each, $(nproc) CPU(s); pinned = server on CPU $SERVER_CPUS, wrk on CPU $WRK_CPUS"
for mode in $MODES; do
  for name in thredo kestrel; do
    port=$THREDO_PORT; [ "$name" = kestrel ] && port=$KESTREL_PORT
    start_server "$name" "$mode" "$port"
    run_wrk "$mode" "$port" "$WARMUP" >/dev/null   # warm-up
    rs=()
    for r in $(seq "$RUNS"); do
      v=$(run_wrk "$mode" "$port" "$DURATION")
      echo "   $mode $name run $r: $v req/s"
      rs+=("$v")
    done
    stop_server
    results[$mode,$name]="${rs[*]}"
  done
done

echo "== load average after: $(cut -d" " -f1-3 /proc/loadavg)"
echo
echo "| CPU set | Thredo http-hello req/s (median) | Kestrel req/s (median) | Thredo / Kestrel | Thredo runs | Kestrel runs |"
echo "| --- | ---: | ---: | ---: | --- | --- |"
for mode in $MODES; do
  t=$(median <<<"${results[$mode,thredo]}"); k=$(median <<<"${results[$mode,kestrel]}")
  ratio=$(awk -v t="$t" -v k="$k" 'BEGIN { printf "%.2fx", t / k }')
  label="unpinned (2 CPUs shared)"; [ "$mode" = pinned ] && label="server CPU $SERVER_CPUS, wrk CPU $WRK_CPUS"
  printf '| %s | %.0f | %.0f | %s | %s | %s |\n' "$label" "$t" "$k" "$ratio" "${results[$mode,thredo]}" "${results[$mode,kestrel]}"
done
