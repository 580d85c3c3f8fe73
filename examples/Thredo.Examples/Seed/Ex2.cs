using System.Diagnostics;

namespace Thredo.Examples;

/// <summary>
/// Port of the seed's <c>ex2.py</c>: two CPU-bound fibers summing 1..n. Fibers of one kernel take
/// turns only at blocking operations, so pure computation runs to the end before the other fiber
/// gets a turn (round 1); a <see cref="Fiber.Yield"/> at each progress line makes them alternate (round 2).
/// </summary>
internal sealed class Ex2 : Example
{
    public override string Name => "ex2";

    public override string Description => "two CPU-bound fibers: no interleaving without a blocking point, alternation with Fiber.Yield (~1 s)";

    public override int Order => 61;

    public override int Run(string[] args)
    {
        Fiber.Run(() =>
        {
            var clock = Stopwatch.StartNew();
            bool[] rounds = [false, true];
            foreach (bool yieldAtProgress in rounds)
            {
                Console.WriteLine(yieldAtProgress
                    ? "-- round 2: Fiber.Yield() after each progress line: they take turns"
                    : "-- round 1: pure computation: each fiber runs to its end before the other starts");
                Fiber<long> t1 = Fiber.Spawn(() => SumToN(50_000_000, "fiber 1", yieldAtProgress, clock), "fiber 1");
                Fiber<long> t2 = Fiber.Spawn(() => SumToN(30_000_000, "fiber 2", yieldAtProgress, clock), "fiber 2");
                Console.WriteLine($"Result 1: {t1.Join()}");
                Console.WriteLine($"Result 2: {t2.Join()}");
            }
        });
        return 0;
    }

    private static long SumToN(long n, string label, bool yieldAtProgress, Stopwatch clock)
    {
        long total = 0;
        while (n > 0)
        {
            total += n;
            n--;
            if (n % 10_000_000 == 0)
            {
                Console.WriteLine($"[{clock.Elapsed.TotalSeconds,6:F3} s] {label} {n}");
                if (yieldAtProgress)
                    Fiber.Yield();   // the only place the other fiber can get a turn
            }
        }
        return total;
    }
}
