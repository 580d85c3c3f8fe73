using BenchmarkDotNet.Running;
using Thredo.Benchmarks.Kernel;

// Every benchmark class of this assembly; pick with --filter, e.g.
//   dotnet run -c Release --project bench/Thredo.Benchmarks -- --filter '*Native*' --job short
//   dotnet run -c Release --project bench/Thredo.Benchmarks -- --memory [COUNT]   (parked-unit memory table, not BenchmarkDotNet)
//   dotnet run -c Release --project bench/Thredo.Benchmarks -- --kernel [--runs 5] [--quick] [--parked 1000,10000]   (kernel targets, Thredo vs baselines side by side, not BenchmarkDotNet)
//   dotnet run -c Release --project bench/Thredo.Benchmarks -- --foreign [--runs 7]   (ForeignBlockHandoff: watchdog cost on ping-pong, hand-off latency)
//   dotnet run -c Release --project bench/Thredo.Benchmarks -- --echo [--conns 1,100,1000] [--seconds 3] [--runs 3]   (echo round trips, Thredo vs async/await; see docs/benchmarks.md)
//   dotnet run -c Release --project bench/Thredo.Benchmarks -- --scaling [1000,3000,10000,30000,100000] [--runs 3] [--big-runs 1] [--out docs/scaling.png]   (parked fibers vs count, plotted; see docs/scaling.md)
//   dotnet run -c Release --project bench/Thredo.Benchmarks -- --scaling-gc [10000] [--runs 3] [--churn-mb 256]   (gen0 pause with 10,000 parked under workstation / Server GC / GCgen0size / non-concurrent)
//   dotnet run -c Release --project bench/Thredo.Benchmarks -- --scaling-frames [100]   (a parked fiber's managed frames, read with dotnet-stack)
//   dotnet run -c Release --project bench/Thredo.Benchmarks -- --host [--runs 5]   (FiberHost.RunAsync round trips from async code vs Task.Run)
//   dotnet run -c Release --project bench/Thredo.Benchmarks -- --c-libraries [--requests 1000] [--sessions 200] [--runs 3]   (libcurl/libpq: native fibers vs thread per call vs curl multi; see docs/benchmarks.md)
//   dotnet run -c Release --project bench/Thredo.Benchmarks -- --thread-supply [--runs 5]   (Thread.Start vs pthread_create entering managed code, 1 and 2 creators)
if (args is ["--memory", ..])
    return ParkedMemory.Run(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 10_000);
if (args is ["--memory-one", string kind, string stack, string count])
    return ParkedMemory.RunOne(kind, int.Parse(stack, System.Globalization.CultureInfo.InvariantCulture), int.Parse(count, System.Globalization.CultureInfo.InvariantCulture));
if (args is ["--kernel", ..])
    return KernelTargets.Run(args);
if (args is ["--scaling" or "--scaling-gc" or "--scaling-frames" or "--scaling-hold", ..])
    return ScalingPlot.Run(args);
if (args is ["--foreign", ..])
    return ForeignBlockTargets.Run(args);
if (args is ["--thread-supply", ..])
    return ThreadSupply.Run(args);
if (args is ["--host", ..])
    return Thredo.Benchmarks.Hosting.HostRoundTrips.Run(args);
if (args is ["--c-libraries" or "--c-libraries-one", ..])
    return Thredo.Benchmarks.NativeFibers.CLibraryBenchmarks.Run(args);
if (args is ["--echo", ..])
    return Thredo.Benchmarks.IO.EchoRoundTrips.Run(args);
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
return 0;
