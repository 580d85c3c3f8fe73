# Sourced by the wrk benchmarks: makes sure wrk is there, installing it with apt-get when running as root.
if ! command -v wrk >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "== installing wrk"
    apt-get update -qq && apt-get install -y -qq wrk >/dev/null
  else
    echo "$0: wrk is not installed (apt-get install wrk)" >&2; exit 1
  fi
fi
