using System.Diagnostics;

namespace Thredo.Examples;

/// <summary>
/// Port of the seed's <c>euro/ex4.py</c> (cancellation with locks): two fibers want one
/// <see cref="FiberSemaphore"/>; main cancels the one holding it. The cancellation arrives at its
/// <c>Sleep</c>, the <c>finally</c> releases the permit on the way out, and the other fiber proceeds.
/// </summary>
internal sealed class EuroEx4 : Example
{
    public override string Name => "euro-ex4";

    public override string Description => "cancel a fiber holding a FiberSemaphore: its finally releases it and the other proceeds (~7 s)";

    public override int Order => 67;

    public override int Run(string[] args)
    {
        Fiber.Run(() =>
        {
            var clock = Stopwatch.StartNew();
            var lck = new FiberSemaphore();
            Fiber t1 = Fiber.Spawn(() => Func(lck, "fiber-1", clock), "fiber-1");
            Fiber t2 = Fiber.Spawn(() => Func(lck, "fiber-2", clock), "fiber-2");
            Fiber.Sleep(2);
            Log(clock, $"main: cancelling fiber-1 (semaphore count {lck.Count})");
            t1.Cancel();
            Log(clock, $"main: fiber-1 ended {t1.State}; joining fiber-2");
            t2.Join();
            Log(clock, $"main: fiber-2 joined, semaphore count {lck.Count}");
        });
        return 0;
    }

    private static void Func(FiberSemaphore lck, string label, Stopwatch clock)
    {
        Log(clock, $"{label} starting");
        lck.Acquire();   // FiberSemaphore has no scope object: try/finally plays Python's `with lck:`
        try
        {
            Log(clock, $"{label} working");
            Fiber.Sleep(5);
            Log(clock, $"{label} done");
        }
        catch (FiberCancelledException)
        {
            Log(clock, $"{label} cancelled while holding the semaphore");
            throw;
        }
        finally
        {
            lck.Release();
            Log(clock, $"{label} released the semaphore");
        }
    }

    private static void Log(Stopwatch clock, string line) => Console.WriteLine($"[{clock.Elapsed.TotalSeconds,5:F2} s] {line}");
}
