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
    public static readonly FiberOptions Options = new() { LongBlockWarning = TimeSpan.FromSeconds(5) };

    public static void Run(Action main) => Fiber.Run(main, Options);

    public static T Run<T>(Func<T> main) => Fiber.Run(main, Options);

    public static TimeSpan Ms(int ms) => TimeSpan.FromMilliseconds(ms);

    /// <summary>Spins (plain computation, never a blocking operation) for at least <paramref name="ms"/>.</summary>
    public static void Compute(int ms)
    {
        var sw = System.Diagnostics.Stopwatch.StartNew();
        while (sw.ElapsedMilliseconds < ms) Thread.SpinWait(100);
    }
}
