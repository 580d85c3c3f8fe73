// Thredo.Hosting from its package: AddThredo and a FiberService in a Generic Host, started and stopped.
// The service puts three items through a FiberQueue between two fibers, then waits to be cancelled; the
// host's stop must cancel it (its cleanup runs) and StopAsync must return. Exit code 0 only if all that happened.
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Thredo;
using Thredo.Hosting;

HostApplicationBuilder builder = Host.CreateApplicationBuilder(args);
builder.Logging.SetMinimumLevel(LogLevel.Warning);
builder.Services.AddThredo();
builder.Services.AddSingleton<Observations>();
builder.Services.AddFiberService<Pipeline>();
using IHost host = builder.Build();

Observations seen = host.Services.GetRequiredService<Observations>();
await host.StartAsync();
bool processed = seen.Processed.Wait(TimeSpan.FromSeconds(10));
await host.StopAsync(TimeSpan.FromSeconds(10));
bool cancelled = seen.Cancelled.IsSet;

Console.WriteLine($"{(processed ? "ok  " : "FAIL")} hosting: the fiber service processed {string.Join(",", seen.Items)} on fiber {seen.FiberId}");
Console.WriteLine($"{(cancelled ? "ok  " : "FAIL")} hosting: stopping the host cancelled the service and its cleanup ran");
int passed = (processed ? 1 : 0) + (cancelled ? 1 : 0);
Console.WriteLine($"consumer checks: {passed} passed, {2 - passed} failed");
return passed == 2 ? 0 : 1;

/// <summary>What the service did, seen from outside the host.</summary>
internal sealed class Observations
{
    public ManualResetEventSlim Processed { get; } = new();
    public ManualResetEventSlim Cancelled { get; } = new();
    public List<int> Items { get; } = [];
    public long FiberId { get; set; }
}

/// <summary>Producer and consumer fibers over a FiberQueue, then blocks until the host's stop cancels it.</summary>
internal sealed class Pipeline(Observations seen) : FiberService
{
    protected override void Run()
    {
        seen.FiberId = Fiber.Current.Id;
        var queue = new FiberQueue<int?>();
        var consumer = Fiber.Spawn(() =>
        {
            while (queue.Get() is int n)
                lock (seen.Items)
                    seen.Items.Add(n * n);
        });
        foreach (int i in new[] { 1, 2, 3 })
            queue.Put(i);
        queue.Put(null);
        consumer.Join();
        seen.Processed.Set();
        try
        {
            Fiber.Sleep(TimeSpan.FromMinutes(5));   // a cancellation point: the host's stop ends it
        }
        catch (FiberCancelledException)
        {
            seen.Cancelled.Set();
            throw;
        }
    }
}
