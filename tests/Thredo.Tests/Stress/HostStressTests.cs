using Xunit.Abstractions;

namespace Thredo.Tests.Stress;

/// <summary>
/// A FiberHost fed from many threads and async callers at once, with random cancellation tokens,
/// failures, garbage collections, and a stop from yet another thread in the middle of it all. Every
/// call ends in exactly one way (its result, its exception, a cancellation, or a refusal because the
/// host was stopping), every fiber's cleanup runs, and nothing is left live.
/// </summary>
[Collection("stress")]
public class HostStressTests(ITestOutputHelper output)
{
    private const int Callers = 4, CallsPerCaller = 600;

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public async Task Calls_from_threads_and_async_code_with_random_cancellation_and_a_concurrent_stop_all_end_cleanly(int schedulers)
    {
        int seed = StressRun.Seed(output, $"host stress, {schedulers} kernel(s)");
        FiberHost host = FiberHost.Start(StressRun.Options(schedulers), (_, _) => { });
        var queue = new FiberQueue<int>(maxSize: 16);
        int started = 0, cleaned = 0, results = 0, failures = 0, cancels = 0, refusals = 0;

        int Body(Random r, int i)
        {
            Interlocked.Increment(ref started);
            try
            {
                switch (r.Next(5))
                {
                    case 0: Fiber.Sleep(TimeSpan.FromMilliseconds(r.Next(3))); break;
                    case 1: queue.Put(i); break;
                    case 2: queue.TryGet(out _); Fiber.Yield(); break;
                    case 3: if (r.Next(4) == 0) GC.Collect(0); Fiber.Sleep(TimeSpan.FromMilliseconds(1)); break;
                    default: throw new InvalidDataException($"failure {i}");
                }
                return i;
            }
            finally
            {
                Interlocked.Increment(ref cleaned);
            }
        }

        // A drain keeps the bounded queue moving, as a consumer service would.
        Task drain = host.RunAsync(() => { while (true) queue.Get(); });

        async Task Caller(int c)
        {
            var r = new Random(seed + c);
            for (int n = 0; n < CallsPerCaller; n++)
            {
                int i = c * CallsPerCaller + n;
                using var cts = new CancellationTokenSource();
                Task<int> t;
                try
                {
                    int bodySeed = r.Next();
                    t = host.RunAsync(() => Body(new Random(bodySeed), i), cts.Token);
                }
                catch (ObjectDisposedException)
                {
                    Interlocked.Increment(ref refusals);
                    continue;
                }
                if (r.Next(3) == 0)
                    cts.CancelAfter(r.Next(2));
                try
                {
                    Assert.Equal(i, await t.ConfigureAwait(false));
                    Interlocked.Increment(ref results);
                }
                catch (InvalidDataException) { Interlocked.Increment(ref failures); }
                catch (OperationCanceledException) { Interlocked.Increment(ref cancels); }
            }
        }

        var callers = Enumerable.Range(0, Callers).Select(c => c % 2 == 0 ? Task.Run(() => Caller(c)) : Caller(c)).ToList();
        var stopper = new Thread(() =>
        {
            // Stop in the thick of it: once calls are flowing (a cold start spends its first
            // hundreds of milliseconds in the JIT and starting threads), after a random moment.
            SpinWait.SpinUntil(() => Volatile.Read(ref started) >= 300, TimeSpan.FromSeconds(60));
            Thread.Sleep(new Random(seed).Next(0, 100));
            host.StopAsync(TimeSpan.FromSeconds(60)).GetAwaiter().GetResult();
        });
        stopper.Start();
        await Task.WhenAll(callers);
        stopper.Join();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => drain);

        output.WriteLine($"results {results}, failures {failures}, cancels {cancels}, refusals {refusals}, started {started}");
        Assert.Equal(Callers * CallsPerCaller, results + failures + cancels + refusals);
        Assert.Equal(started, cleaned);                 // every body that began ran its finally
        Assert.Empty(host.Snapshot());
        Assert.True(host.IsStopping);
    }
}
