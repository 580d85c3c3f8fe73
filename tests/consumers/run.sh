#!/usr/bin/env bash
# Consumer tests of the packages: throw-away applications in a temporary folder restore Thredo and
# Thredo.Hosting from a local folder feed (default artifacts/packages) and nuget.org (their
# dependencies), with a NuGet packages folder of their own so no cached copy of Thredo is ever used,
# then build and run: console/ portable and RID-specific (-r), hosting/ in a Generic Host, and every
# runnable sample of docs/*.md (```csharp runnable, its output checked against ```text expected-output).
# Nothing comes from the repository's build tree: console/ checks the native library it loaded is
# the package's copy in its own output. Exits non-zero if any check failed.
#   tests/consumers/run.sh [FEED]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
feed=$(cd "${1:-$here/../../artifacts/packages}" && pwd)

case "$(uname -m)" in
  x86_64) rid=linux-x64 ;;
  aarch64|arm64) rid=linux-arm64 ;;
  *) echo "consumers: unsupported architecture $(uname -m)" >&2; exit 1 ;;
esac

# The one Thredo version in the feed (pack empties it first), and its Thredo.Hosting twin.
packages=$(find "$feed" -maxdepth 1 -name 'Thredo.[0-9]*.nupkg' -printf '%f\n')
if [ "$(printf '%s\n' "$packages" | grep -c .)" != 1 ]; then
  echo "consumers: expected exactly one Thredo package in $feed, found: ${packages:-none} (run ./build.sh pack)" >&2
  exit 1
fi
version=${packages#Thredo.}; version=${version%.nupkg}
[ -f "$feed/Thredo.Hosting.$version.nupkg" ] || { echo "consumers: $feed has no Thredo.Hosting.$version.nupkg" >&2; exit 1; }
echo "consumers: Thredo $version from $feed"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export NUGET_PACKAGES="$work/packages" DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1
unset LD_LIBRARY_PATH   # the library must come from the package, not from a path the caller set

# Thredo packages only from the local feed (never an older or foreign one from nuget.org), the rest from nuget.org.
cat > "$work/nuget.config" <<XML
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <clear />
    <add key="local" value="$feed" />
    <add key="nuget.org" value="https://api.nuget.org/v3/index.json" protocolVersion="3" />
  </packageSources>
  <packageSourceMapping>
    <packageSource key="local"><package pattern="Thredo" /><package pattern="Thredo.*" /></packageSource>
    <packageSource key="nuget.org"><package pattern="*" /></packageSource>
  </packageSourceMapping>
</configuration>
XML
# Empty MSBuild files stop the walk up the folders for Directory.Build.* (the temporary folder is outside the repo anyway).
echo '<Project />' > "$work/Directory.Build.props"
echo '<Project />' > "$work/Directory.Build.targets"
cp -r "$here/console" "$here/hosting" "$work/"
package_dir="$NUGET_PACKAGES/thredo/${version,,}"
build() { dotnet "$@" -c Release -p:ThredoVersion="$version" -nologo -v quiet -clp:ErrorsOnly; }

# The native fiber's C entry, compiled against the package's headers and linked against its library.
compile_entry() {
  local out=$1 lib_dir=$2
  cc -shared -fPIC -O2 -Wall -Wextra -Werror -I "$package_dir/build/native/include" \
    -o "$out/libconsumer_entry.so" "$work/console/native_entry.c" -L "$lib_dir" -lthredo_native
}

run_console() {
  local layout=$1 out=$2 lib=$3
  cmp "$lib" "$package_dir/runtimes/$rid/native/libthredo_native.so" \
    || { echo "consumers: $lib is not the package's runtimes/$rid/native/libthredo_native.so" >&2; return 1; }
  compile_entry "$out" "$(dirname "$lib")"
  dotnet "$out/Consumer.dll" "$layout" "$out/libconsumer_entry.so"
}

echo "== consumer: console app, portable build (runtimes/$rid/native/ in the output)"
build build "$work/console" -o "$work/out/portable"
# Which feed the restore took Thredo from (the packages folder records it).
grep -ho '"source": *"[^"]*"' "$package_dir/.nupkg.metadata" | sed 's/^/consumers: Thredo restored from /'
run_console portable "$work/out/portable" "$work/out/portable/runtimes/$rid/native/libthredo_native.so"

echo "== consumer: console app, RID-specific publish (-r $rid: the library next to the app)"
build publish "$work/console" -r "$rid" --self-contained false -o "$work/out/flat"
run_console flat "$work/out/flat" "$work/out/flat/libthredo_native.so"

echo "== consumer: Thredo.Hosting in a Generic Host"
build build "$work/hosting" -o "$work/out/hosting"
dotnet "$work/out/hosting/Consumer.Hosting.dll"

echo "== consumer: the runnable samples of docs/*.md, built against the package"
mkdir -p "$work/docs"
cp "$here/docs/Sample.csproj" "$here/docs/Samples.proj" "$work/docs/"
samples=()
for md in "$here"/../../docs/*.md; do
  while IFS= read -r dir; do
    cp "$work/docs/Sample.csproj" "$dir/"
    samples+=("$dir")
  done < <(awk -v out="$work/docs" -v base="$(basename "$md" .md)" -f "$here/docs/extract.awk" "$md")
done
if [ ${#samples[@]} = 0 ]; then
  echo "docs samples: none found (a sample is a \`\`\`csharp runnable block in docs/*.md)" >&2
  echo "docs samples: 0 passed, 1 failed"; exit 1
fi
rm "$work/docs/Sample.csproj"
build build "$work/docs/Samples.proj"
passed=0 failed=0
for dir in "${samples[@]}"; do
  name=$(basename "$dir")
  rc=0
  (cd "$dir" && timeout 60 dotnet bin/Release/net10.0/Sample.dll > out.txt 2> err.txt) || rc=$?
  if [ "$rc" != 0 ]; then
    echo "FAIL docs sample $name: exit $rc"; sed 's/^/  /' "$dir/err.txt" | tail -15; failed=$((failed + 1)); continue
  fi
  if [ -f "$dir/expected.txt" ] && ! diff <(sed 's/[ \t]*$//' "$dir/expected.txt") <(sed 's/[ \t]*$//' "$dir/out.txt") > "$dir/diff.txt"; then
    echo "FAIL docs sample $name: output differs from the docs (< docs, > actual):"; sed 's/^/  /' "$dir/diff.txt" | head -20
    failed=$((failed + 1)); continue
  fi
  echo "docs sample $name: passed$([ -f "$dir/expected.txt" ] && echo ', output as documented')"
  passed=$((passed + 1))
done
echo "docs samples: $passed passed, $failed failed"
[ "$failed" = 0 ]
