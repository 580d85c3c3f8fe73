#!/usr/bin/env bash
# aspnet-bridge under wrk: the same ASP.NET Core app serves /fiber/x (FiberHost.RunAsync: a fiber borrows
# a pooled FiberSocket from a FiberQueue and asks a line-protocol backend) and /async/x (the same with
# async/await, a Channel<T> pool and Socket). Prints requests/s of each and the ratio fiber/async.
#
#   bench/aspnet/run.sh                      build, then RUNS measured runs per endpoint, interleaved
#   RUNS=5 DURATION=10s CONNS=64 SKIP_BUILD=1 bench/aspnet/run.sh
#
# One server process for both endpoints, warmed up on each; then runs alternate fiber/async so that
# a noisy machine does not favour one side. Needs wrk (installed with apt-get when missing, as root).
set -euo pipefail
cd "$(dirname "$0")/../.."

RUNS=${RUNS:-3}
DURATION=${DURATION:-10s}
WARMUP=${WARMUP:-5s}
THREADS=${THREADS:-2}
CONNS=${CONNS:-64}
PORT=${PORT:-15080}

# shellcheck source=../require-wrk.sh
source bench/require-wrk.sh
if [ "${SKIP_BUILD:-0}" != 1 ]; then
  echo "== building (./build.sh)"
  ./build.sh >/dev/null
fi
dll=examples/Thredo.Examples/bin/Release/net10.0/Thredo.Examples.dll
[ -f "$dll" ] || { echo "run.sh: $dll missing (build first)" >&2; exit 1; }

dotnet "$dll" aspnet-bridge --port "$PORT" >/tmp/aspnet-bridge.$$.log 2>&1 &
pid=$!
trap 'kill -TERM $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -f /tmp/aspnet-bridge.$$.log' EXIT
for _ in $(seq 100); do
  curl -fs "http://127.0.0.1:$PORT/fiber/warm" >/dev/null 2>&1 && break
  sleep 0.1
done

rps() { wrk -t"$THREADS" -c"$CONNS" -d"$1" "http://127.0.0.1:$PORT/$2/apples" | awk '/^Requests\/sec/ { print $2 }'; }
echo "== warm-up ($WARMUP each)"
rps "$WARMUP" fiber >/dev/null
rps "$WARMUP" async >/dev/null

fiber=() async=()
for r in $(seq "$RUNS"); do
  if [ $((r % 2)) = 1 ]; then f=$(rps "$DURATION" fiber); a=$(rps "$DURATION" async)
  else a=$(rps "$DURATION" async); f=$(rps "$DURATION" fiber); fi
  echo "run $r: fiber $f req/s, async $a req/s"
  fiber+=("$f"); async+=("$a")
done
median() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
mf=$(median "${fiber[@]}"); ma=$(median "${async[@]}")
echo
echo "| endpoint | req/s (median of $RUNS, wrk -t$THREADS -c$CONNS -d$DURATION) | runs |"
echo "| --- | ---: | --- |"
echo "| /fiber/x (FiberHost.RunAsync) | $mf | ${fiber[*]} |"
echo "| /async/x (async/await) | $ma | ${async[*]} |"
awk -v f="$mf" -v a="$ma" 'BEGIN { printf "ratio fiber/async: %.2fx\n", f / a }'
