using System.Collections.Concurrent;

namespace Thredo.Tests;

/// <summary>An ordered record of what fibers did, asserted as a whole (Curio's test style).</summary>
internal sealed class Trace
{
    private readonly ConcurrentQueue<string> _items = new();

    public void Add(string item) => _items.Enqueue(item);

    public string[] Items => [.. _items];

    public void Is(params string[] expected) => Assert.Equal(expected, Items);
}

/// <summary>Runs test bodies under the kernel with diagnostics on, as every semantics test should.</summary>
internal static class K
{
    /// <summary>
    /// The options every test runs with. <c>THREDO_TEST_SCHEDULERS</c> sets the kernel count, so that
    /// <c>./build.sh test</c> runs the whole suite again with two kernels.
    /// </summary>
    public static readonly FiberOptions Options = new()
    {
        LongBlockWarning = TimeSpan.FromSeconds(5),
        Schedulers = int.TryParse(Environment.GetEnvironmentVariable("THREDO_TEST_SCHEDULERS"), out int n) && n > 0 ? n : 1,
    };

    /// <summary>True when the suite runs with more than one kernel (fibers then run in parallel).</summary>
    public static bool Parallel => Options.Schedulers > 1;

    public static void Run(Action main) => Fiber.Run(main, Options);

    public static T Run<T>(Func<T> main) => Fiber.Run(main, Options);

    /// <summary>
    /// For a test that asserts an interleaving only one baton guarantees (the order in which fibers
    /// started on a stalled kernel reach a primitive): with several kernels a backlog of new fibers is
    /// stolen and runs in parallel, so such an order is not defined. Runs with one kernel whatever
    /// <c>THREDO_TEST_SCHEDULERS</c> says.
    /// </summary>
    public static void RunOneKernel(Action main) => Fiber.Run(main, Options with { Schedulers = 1 });

    public static TimeSpan Ms(int ms) => TimeSpan.FromMilliseconds(ms);

    /// <summary>
    /// Yields until every fiber in <paramref name="fibers"/> is blocked: one yield with one kernel, but
    /// with several a fiber may still be on its way on another core.
    /// </summary>
    public static void UntilBlocked(params Fiber[] fibers)
    {
        while (fibers.Any(f => f.State != FiberState.Blocked))
            Fiber.Yield();
    }

    /// <summary>Spins (plain computation, never a blocking operation) for at least <paramref name="ms"/>.</summary>
    public static void Compute(int ms)
    {
        var sw = System.Diagnostics.Stopwatch.StartNew();
        while (sw.ElapsedMilliseconds < ms) Thread.SpinWait(100);
    }
}
