using System.Diagnostics;

namespace Thredo.Examples;

/// <summary>
/// Port of the seed's <c>euro/ex6.py</c> (queues): four workers and a CPU spinner in a
/// <see cref="GroupWait.None"/> group; main puts ten items, one every half second, waits for them
/// with <see cref="FiberQueue{T}.Join"/>, and leaving the group cancels the workers blocked in <c>Get</c>.
/// The spinner never blocks, so it yields at each progress line to let the others run (see <c>ex2</c>).
/// </summary>
internal sealed class EuroEx6 : Example
{
    public override string Name => "euro-ex6";

    public override string Description => "a FiberQueue, four workers and a CPU spinner in a GroupWait.None group, queue.Join() (~5 s)";

    public override int Order => 68;

    public override int Run(string[] args)
    {
        Fiber.Run(() =>
        {
            var clock = Stopwatch.StartNew();
            var q = new FiberQueue<int>();
            using (var g = new FiberGroup(GroupWait.None))
            {
                g.Spawn(() => Spin(400_000_000, clock), "spin");
                for (int n = 0; n < 4; n++)
                {
                    string label = $"Worker-{n}";
                    g.Spawn(() => Worker(q, label, clock), label);
                }

                for (int n = 0; n < 10; n++)
                {
                    q.Put(n);
                    Fiber.Sleep(0.5);   // the seed sleeps 1 s
                }

                q.Join();
                Log(clock, "main: every item is done; leaving the group cancels what is left");
            }
            Log(clock, "Done");
        });
        return 0;
    }

    private static void Worker(FiberQueue<int> q, string label, Stopwatch clock)
    {
        try
        {
            while (true)
            {
                int item = q.Get();
                Log(clock, $"{label} {item}");
                q.TaskDone();
            }
        }
        catch (FiberCancelledException)
        {
            Log(clock, $"Cancelled {label}");
            throw;
        }
    }

    private static void Spin(long n, Stopwatch clock)
    {
        while (n > 0)
        {
            n--;
            if (n % 50_000_000 == 0)
            {
                Log(clock, $"spin {n}");
                Fiber.Yield();   // pure computation never blocks: without this nobody else would run until it ends
            }
        }
    }

    private static void Log(Stopwatch clock, string line) => Console.WriteLine($"[{clock.Elapsed.TotalSeconds,5:F2} s] {line}");
}
