#!/usr/bin/env bash
# Build Thredo (native library, then .NET) and optionally run the tests or the demo.
#   ./build.sh          build everything (Release)
#   ./build.sh test     build, then CTest (plain, ASan+UBSan, ucontext, mingw/Wine and arm64/qemu if present), dotnet test
#                       (Release with one, two and four kernels, then Debug so the invariants run), the examples'
#                       self-tests, and the consumer tests of freshly packed packages
#   ./build.sh demo     build, then run the main example
#   ./build.sh bench    build, then run the benchmarks (slow)
#   ./build.sh pack     build the native library for linux-x64, linux-arm64 and win-x64, then the Thredo and
#                       Thredo.Hosting packages into artifacts/packages/ (THREDO_PACK_PARTIAL=1: without a
#                       platform whose cross-compiler is missing; THREDO_REPOSITORY_URL: the repository's URL
#                       when the clone has no git remote 'origin')
#   ./build.sh consumer pack, then only the consumer tests (throw-away apps of the packages; part of test)
#   ./build.sh bindings regenerate src/Thredo.Fibers/ThredoNative.g.cs from native/include/*.h (libclang; linux-x64);
#                       Thredo.BindGen.Tests, part of test, fails when the committed file is stale
set -euo pipefail
cd "$(dirname "$0")"
root=$(pwd)
action=${1:-build}
jobs=$(nproc 2>/dev/null || echo 2)

case "$(uname -m)" in
  x86_64) rid=linux-x64 ;;
  aarch64|arm64) rid=linux-arm64 ;;
  *) echo "build.sh: unsupported architecture $(uname -m)" >&2; exit 1 ;;
esac

say() { printf '\n== %s\n' "$*"; }

# Every test stage's output also goes to this log, so the end can print one total.
test_log=$(mktemp)
# On failure, name what failed last, where a log tail shows it (test output can run to megabytes);
# "FAIL name: ..." is a consumer check (tests/consumers).
on_exit() {
  local rc=$?
  if [ "$rc" != 0 ] && grep -qE '\[FAIL\]|\(Failed\)|\*\*\*Failed|^FAIL ' "$test_log" 2>/dev/null; then
    printf '\n== failed (exit %s):\n' "$rc"
    grep -E '\[FAIL\]|\(Failed\)|\*\*\*Failed|^FAIL ' "$test_log" | sort -u | head -20
    grep -E -A4 '^\s+Failed [A-Za-z]' "$test_log" | head -60
  fi
  rm -f "$test_log"
}
trap on_exit EXIT
run_tests() { "$@" 2>&1 | tee -a "$test_log"; return "${PIPESTATUS[0]}"; }

print_totals() {
  # ctest: "100% tests passed, 0 tests failed out of 33", skips listed as "  9 - name (Skipped)";
  # dotnet test: "     Passed: N", "     Failed: N", "    Skipped: N"; examples: "example NAME: passed";
  # tests/consumers: "consumer checks: N passed, N failed".
  awk '/tests passed, [0-9]+ tests failed out of [0-9]+/ { f += $4; p += $NF - $4 }
       /^[ \t]+[0-9]+ - .*\(Skipped\)$/ { s++; p-- }
       /^example .*: passed$/ { p++ } /^example .*: \[FAIL\]/ { f++ }
       /^ +Passed: [0-9]+$/ { p += $2 } /^ +Failed: [0-9]+$/ { f += $2 } /^ +Skipped: [0-9]+$/ { s += $2 }
       /^consumer checks: [0-9]+ passed, [0-9]+ failed$/ { p += $3; f += $5 }
       /^docs samples: [0-9]+ passed, [0-9]+ failed$/ { p += $3; f += $5 }
       END { printf "\ntests: %d passed, %d failed, %d skipped\n", p, f, s }' "$test_log"
}


build_native() {
  say "native: cmake (Release, switch=${THREDO_SWITCH:-asm})"
  cmake -S . -B build/native -DCMAKE_BUILD_TYPE=Release -DTHREDO_SWITCH="${THREDO_SWITCH:-asm}" >/dev/null
  cmake --build build/native -j "$jobs"
  mkdir -p "artifacts/native/$rid/native"
  cp -f build/native/native/libthredo_native.so "artifacts/native/$rid/native/"
}

# The cross-builds: the Windows and linux-arm64 libraries, tested by test_native and shipped by pack.
# Each leaves its library under artifacts/native/<rid>/native/, the package's runtimes/ layout.
# Extra arguments go to cmake --build (pack passes --target thredo_native: the library alone).
# build_native_cross <build dir> <toolchain file> <rid> <library file> [cmake --build arguments]
build_native_cross() {
  local dir=$1 toolchain=$2 target_rid=$3 lib=$4; shift 4
  cmake -S . -B "$dir" -DCMAKE_TOOLCHAIN_FILE="$root/native/$toolchain" \
    -DCMAKE_BUILD_TYPE=Release -DTHREDO_BUILD_BENCH=OFF >/dev/null
  cmake --build "$dir" -j "$jobs" "$@"
  mkdir -p "artifacts/native/$target_rid/native"
  cp -f "$dir/native/$lib" "artifacts/native/$target_rid/native/"
}
build_native_mingw() { build_native_cross build/native-mingw mingw-w64.cmake win-x64 thredo_native.dll "$@"; }
build_native_arm64() { build_native_cross build/native-arm64 aarch64-linux-gnu.cmake linux-arm64 libthredo_native.so "$@"; }

build_managed() {
  say "managed: dotnet build (Release)"
  dotnet build Thredo.sln -c Release -nologo -v quiet -clp:ErrorsOnly
}

test_native() {
  say "native tests: CTest (Release)"
  run_tests ctest --test-dir build/native --output-on-failure -j "$jobs"

  say "native tests: CTest under AddressSanitizer + UBSan"
  cmake -S . -B build/native-asan -DCMAKE_BUILD_TYPE=Debug -DTHREDO_SANITIZE=ON -DTHREDO_BUILD_BENCH=OFF >/dev/null
  cmake --build build/native-asan -j "$jobs"
  run_tests ctest --test-dir build/native-asan --output-on-failure -j "$jobs"

  say "native tests: CTest with the ucontext switch (reference)"
  cmake -S . -B build/native-ucontext -DCMAKE_BUILD_TYPE=Release -DTHREDO_SWITCH=ucontext -DTHREDO_BUILD_BENCH=OFF >/dev/null
  cmake --build build/native-ucontext -j "$jobs"
  run_tests ctest --test-dir build/native-ucontext --output-on-failure -j "$jobs"

  if command -v x86_64-w64-mingw32-gcc >/dev/null 2>&1; then
    say "native tests: Windows build (mingw-w64)$(command -v wine64 >/dev/null 2>&1 || command -v wine >/dev/null 2>&1 && echo ', run under Wine')"
    build_native_mingw
    run_tests ctest --test-dir build/native-mingw --output-on-failure
  else
    say "native tests: Windows build skipped (x86_64-w64-mingw32-gcc not installed; .ci/run installs it)"
  fi

  if [ "$rid" = linux-x64 ] && command -v aarch64-linux-gnu-gcc >/dev/null 2>&1 && command -v qemu-aarch64 >/dev/null 2>&1; then
    say "native tests: linux-arm64 build (gcc-aarch64-linux-gnu), run under qemu-aarch64"
    build_native_arm64
    run_tests ctest --test-dir build/native-arm64 --output-on-failure -j "$jobs"
  elif [ "$rid" = linux-x64 ]; then
    say "native tests: linux-arm64 skipped (aarch64-linux-gnu-gcc or qemu-aarch64 not installed; .ci/run installs them)"
  fi
}

# One dotnet test pass; extra arguments go to dotnet test (a project or solution, a --filter).
dotnet_test() {
  local config=$1; shift
  dotnet test "$@" -c "$config" --no-build -nologo --logger "console;verbosity=normal" 2>&1 \
    | grep -vE '^\s+Passed ' | tee -a "$test_log"
  return "${PIPESTATUS[0]}"
}

test_managed() {
  say "managed tests: dotnet test (Release, one kernel)"
  dotnet_test Release Thredo.sln

  say "managed tests: the kernel suite again with two kernels (THREDO_TEST_SCHEDULERS=2)"
  THREDO_TEST_SCHEDULERS=2 dotnet_test Release tests/Thredo.Tests

  say "managed tests: stress with four kernels (THREDO_TEST_SCHEDULERS=4)"
  THREDO_TEST_SCHEDULERS=4 dotnet_test Release tests/Thredo.Tests --filter "FullyQualifiedName~Thredo.Tests.Stress"

  # Debug.Assert and AssertInvariants only run in a Debug build: an invariant that never runs is a comment.
  say "managed tests: Debug build, so every Debug.Assert and AssertInvariants runs"
  dotnet build Thredo.sln -c Debug -nologo -v quiet -clp:ErrorsOnly
  dotnet_test Debug Thredo.sln
}

# The examples' own self-checks, as a user runs them: each must exit 0 within its timeout.
test_examples() {
  say "examples: self-tests"
  local dll=examples/Thredo.Examples/bin/Release/net10.0/Thredo.Examples.dll
  local -a runs=(
    "worker-queue"
    "race"
    "ex1"
    "echo --self-test"
    "http-hello --self-test"
    "aspnet-bridge --self-test"
    "worker-service --seconds 1"
    "worker-service --seconds 1 --stubborn"   # abandons a fiber at stop, and the process still exits
    "treq"
    "http-get"
    "tls-echo"
    "curl-many"
    "postgres-many"
  )
  local r out rc
  for r in "${runs[@]}"; do
    rc=0
    # shellcheck disable=SC2086
    out=$(timeout 120 dotnet "$dll" $r 2>&1) || rc=$?
    if [ "$rc" = 0 ]; then
      echo "example $r: passed" | tee -a "$test_log"
    else
      printf '%s\n' "$out" | tail -20
      echo "example $r: [FAIL] (exit $rc)" | tee -a "$test_log"
      return 1
    fi
  done
}

# The packages, into artifacts/packages/ (emptied first: the consumer tests take the one version there).
# Thredo ships the native library of three platforms: a missing cross-compiler fails the pack, unless
# THREDO_PACK_PARTIAL=1 says a package without that platform is meant.
pack_packages() {
  local missing=() props=()
  command -v x86_64-w64-mingw32-gcc >/dev/null 2>&1 || missing+=("win-x64 (needs x86_64-w64-mingw32-gcc: apt-get install gcc-mingw-w64-x86-64)")
  if [ "$rid" != linux-x64 ]; then
    missing+=("linux-x64 (packed only from a linux-x64 machine)")
  elif ! command -v aarch64-linux-gnu-gcc >/dev/null 2>&1; then
    missing+=("linux-arm64 (needs aarch64-linux-gnu-gcc: apt-get install gcc-aarch64-linux-gnu libc6-dev-arm64-cross)")
  fi
  if [ ${#missing[@]} -gt 0 ]; then
    if [ "${THREDO_PACK_PARTIAL:-0}" != 1 ]; then
      printf 'build.sh pack: cannot build the native library for:\n' >&2
      printf '  %s\n' "${missing[@]}" >&2
      echo "Install what is missing, or set THREDO_PACK_PARTIAL=1 to pack without those platforms." >&2
      exit 1
    fi
    say "pack: WITHOUT ${missing[*]} (THREDO_PACK_PARTIAL=1)"
    props+=(-p:ThredoAllowPartialPack=true)
  fi

  say "pack: native libraries for the other platforms (cross-compiled)"
  if command -v x86_64-w64-mingw32-gcc >/dev/null 2>&1; then build_native_mingw --target thredo_native; else rm -rf artifacts/native/win-x64; fi
  if [ "$rid" = linux-x64 ] && command -v aarch64-linux-gnu-gcc >/dev/null 2>&1; then
    build_native_arm64 --target thredo_native
  else
    rm -rf artifacts/native/linux-arm64   # never a stale copy in a package
  fi

  # SourceLink maps the PDBs to the remote's sources; without a remote the PDBs embed the sources instead.
  if git remote get-url origin >/dev/null 2>&1; then
    props+=(-p:ThredoGitRemote=true -p:ContinuousIntegrationBuild=true)
  else
    say "pack: no git remote 'origin': no SourceLink (the PDBs embed their sources), RepositoryUrl ${THREDO_REPOSITORY_URL:-from src/Directory.Build.props}"
  fi
  [ -z "${THREDO_REPOSITORY_URL:-}" ] || props+=(-p:ThredoRepositoryUrl="$THREDO_REPOSITORY_URL")

  say "pack: dotnet pack (Thredo, Thredo.Hosting) into artifacts/packages/"
  rm -rf artifacts/packages
  for project in src/Thredo/Thredo.csproj src/Thredo.Hosting/Thredo.Hosting.csproj; do
    dotnet pack "$project" -c Release -o artifacts/packages -nologo -v quiet -clp:ErrorsOnly ${props[@]+"${props[@]}"}
  done
  ls -l artifacts/packages
}

test_consumer() {
  say "consumer tests: throw-away apps restore the packages from artifacts/packages (tests/consumers)"
  run_tests tests/consumers/run.sh artifacts/packages
}

case "$action" in
  build) build_native; build_managed ;;
  test)  build_native; build_managed; test_native; test_managed; test_examples
         # The test run packs what it can: the cross-builds above are skipped when their compiler is missing too.
         THREDO_PACK_PARTIAL=${THREDO_PACK_PARTIAL:-1} pack_packages; test_consumer
         say "all tests passed"; print_totals ;;
  pack)  build_native; pack_packages ;;
  bindings) say "bindings: tools/Thredo.BindGen over native/include (libclang)"
         dotnet run --project tools/Thredo.BindGen -c Release -- --repo "$root" --system-include "$(cc -print-file-name=include)" ;;
  consumer) build_native; pack_packages; test_consumer; print_totals ;;
  demo)  build_native; build_managed
         say "demo"
         dotnet run --project examples/Thredo.Examples -c Release --no-build -- "${@:2}" ;;
  bench) build_native; build_managed
         say "bench: native"; build/native/bench/native/thredo_native_bench
         say "bench: managed"; dotnet run --project bench/Thredo.Benchmarks -c Release -- "${@:2}" ;;
  *) echo "usage: ./build.sh [build|test|demo|bench|pack|consumer|bindings]" >&2; exit 2 ;;
esac
