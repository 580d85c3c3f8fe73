using BenchmarkDotNet.Running;

// Every benchmark class of this assembly; pick with --filter, e.g.
//   dotnet run -c Release --project bench/Thredo.Benchmarks -- --filter '*Native*' --job short
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
