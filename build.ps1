# Build Thredo on Windows (native library, then .NET) and optionally run the tests or the demo.
# The Windows twin of build.sh.
#   ./build.ps1          build everything (Release)
#   ./build.ps1 test     build, then CTest and dotnet test
#   ./build.ps1 demo     build, then run the main example
#   ./build.ps1 bench    build, then run the benchmarks (slow)
# Extra arguments after demo/bench go to the program.
param(
    [ValidateSet('build', 'test', 'demo', 'bench')]
    [string]$Action = 'build',
    [Parameter(ValueFromRemainingArguments = $true)]
    [string[]]$Rest = @()
)

$ErrorActionPreference = 'Stop'
Set-Location -LiteralPath $PSScriptRoot

$arch = [System.Runtime.InteropServices.RuntimeInformation]::OSArchitecture
switch ($arch) {
    'X64'   { $rid = 'win-x64' }
    'Arm64' { $rid = 'win-arm64' }
    default { Write-Error "build.ps1: unsupported architecture $arch"; exit 1 }
}
$jobs = [Environment]::ProcessorCount

function Say([string]$Message) { Write-Host "`n== $Message" }

# Run a native command and stop the script if it fails (PowerShell does not do that by itself).
# A plain function (no param block), so arguments such as -S reach the command untouched.
function Invoke-Checked {
    $command, $arguments = $args
    & $command @arguments
    if ($LASTEXITCODE -ne 0) {
        Write-Error "build.ps1: '$command $($arguments -join ' ')' failed with exit code $LASTEXITCODE"
        exit $LASTEXITCODE
    }
}

function Build-Native {
    Say 'native: cmake (Release, Windows Fibers)'
    # Default generator (Visual Studio): multi-config, so the configuration is chosen at build time.
    Invoke-Checked cmake -S . -B build/native -DCMAKE_BUILD_TYPE=Release
    Invoke-Checked cmake --build build/native --config Release -j $jobs
    $dest = "artifacts/native/$rid/native"
    New-Item -ItemType Directory -Force -Path $dest | Out-Null
    # Visual Studio generators put it under Release/; single-config ones (Ninja) directly.
    $dll = @('build/native/native/Release/thredo_native.dll', 'build/native/native/thredo_native.dll') |
        Where-Object { Test-Path -LiteralPath $_ } | Select-Object -First 1
    if (-not $dll) { Write-Error 'build.ps1: thredo_native.dll not found under build/native/native'; exit 1 }
    Copy-Item -Force -LiteralPath $dll -Destination $dest
}

function Build-Managed {
    Say 'managed: dotnet build (Release)'
    Invoke-Checked dotnet build Thredo.sln -c Release -nologo -v quiet -clp:ErrorsOnly
}

function Test-Native {
    Say 'native tests: CTest (Release)'
    Invoke-Checked ctest --test-dir build/native -C Release --output-on-failure -j $jobs
}

function Test-Managed {
    Say 'managed tests: dotnet test'
    Invoke-Checked dotnet test Thredo.sln -c Release --no-build -nologo --logger 'console;verbosity=normal'
}

switch ($Action) {
    'build' { Build-Native; Build-Managed }
    'test'  { Build-Native; Build-Managed; Test-Native; Test-Managed; Say 'all tests passed' }
    'demo'  {
        Build-Native; Build-Managed
        Say 'demo'
        Invoke-Checked dotnet run --project examples/Thredo.Examples -c Release --no-build -- @Rest
    }
    'bench' {
        Build-Native; Build-Managed
        $nativeBench = Get-ChildItem -Path build/native/bench -Recurse -Filter thredo_native_bench.exe -ErrorAction SilentlyContinue | Select-Object -First 1
        if ($nativeBench) { Say 'bench: native'; Invoke-Checked $nativeBench.FullName }
        else { Say 'bench: native skipped (the C benchmarks are not built on Windows)' }
        Say 'bench: managed'
        Invoke-Checked dotnet run --project bench/Thredo.Benchmarks -c Release -- @Rest
    }
}
