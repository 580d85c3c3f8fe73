using BenchmarkDotNet.Running;
using Thredo.Benchmarks.Kernel;

// Every benchmark class of this assembly; pick with --filter, e.g.
//   dotnet run -c Release --project bench/Thredo.Benchmarks -- --filter '*Native*' --job short
//   dotnet run -c Release --project bench/Thredo.Benchmarks -- --memory [COUNT]   (parked-unit memory table, not BenchmarkDotNet)
//   dotnet run -c Release --project bench/Thredo.Benchmarks -- --kernel [--runs 5] [--quick] [--parked 1000,10000]   (kernel targets, Thredo vs baselines side by side, not BenchmarkDotNet)
//   dotnet run -c Release --project bench/Thredo.Benchmarks -- --echo [--conns 1,100,1000] [--seconds 3] [--runs 3]   (echo round trips, Thredo vs async/await; see docs/benchmarks.md)
if (args is ["--memory", ..])
    return ParkedMemory.Run(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 10_000);
if (args is ["--memory-one", string kind, string stack, string count])
    return ParkedMemory.RunOne(kind, int.Parse(stack, System.Globalization.CultureInfo.InvariantCulture), int.Parse(count, System.Globalization.CultureInfo.InvariantCulture));
if (args is ["--kernel", ..])
    return KernelTargets.Run(args);
if (args is ["--echo", ..])
    return Thredo.Benchmarks.IO.EchoRoundTrips.Run(args);
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
return 0;
