using System.Diagnostics.Metrics;

namespace Thredo.Tests.Hosting;

/// <summary>The <c>Thredo</c> meter, read as <c>dotnet-counters</c> or OpenTelemetry would, through a <see cref="MeterListener"/>.</summary>
public class MetricsTests
{
    /// <summary>One collection of every Thredo instrument: name (and tag value, if any) to value.</summary>
    private static Dictionary<string, double> Collect()
    {
        var values = new Dictionary<string, double>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) => { if (instrument.Meter.Name == "Thredo") l.EnableMeasurementEvents(instrument); },
        };
        void Record(Instrument i, double v, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            string key = tags.Length == 0 ? i.Name : $"{i.Name}/{tags[0].Value}";
            lock (values)
                values[key] = values.GetValueOrDefault(key) + v;
        }
        listener.SetMeasurementEventCallback<long>((i, v, tags, _) => Record(i, v, tags));
        listener.SetMeasurementEventCallback<double>((i, v, tags, _) => Record(i, v, tags));
        listener.Start();
        listener.RecordObservableInstruments();
        return values;
    }

    [Fact]
    public async Task The_Thredo_meter_counts_live_blocked_and_spawned_fibers_threads_and_busy_time()
    {
        Dictionary<string, double> before = Collect();
        await using FiberHost host = FiberHost.Start(K.Options);
        var ev = new FiberEvent();
        var sleepers = Enumerable.Range(0, 5).Select(_ => host.Spawn(() => Fiber.Sleep(TimeSpan.FromHours(1)))).ToList();
        var waiters = Enumerable.Range(0, 3).Select(_ => host.Spawn(() => ev.Wait())).ToList();
        var away = new ManualResetEventSlim();
        var inForeign = new ManualResetEventSlim();
        Fiber foreign = host.Spawn(() => Fiber.RunBlocking(() => { inForeign.Set(); away.Wait(); }));
        Assert.True(inForeign.Wait(TimeSpan.FromSeconds(30)));
        while (host.Snapshot().Count(f => f.State == FiberState.Blocked) < 9)
            Thread.Sleep(1);

        Dictionary<string, double> during = Collect();
        // Other tests may run runtimes in parallel: the counts are at least this host's.
        Assert.True(during["thredo.fiber.live"] >= 9, $"live {during["thredo.fiber.live"]}");
        Assert.True(during["thredo.fiber.blocked/timer"] >= 5);
        Assert.True(during["thredo.fiber.blocked/primitive"] >= 3);
        Assert.True(during["thredo.fiber.blocked/foreign"] >= 1);
        Assert.True(during.ContainsKey("thredo.fiber.blocked/io"));
        Assert.True(during.ContainsKey("thredo.fiber.runnable"));
        Assert.True(during["thredo.fiber.spawned"] >= before.GetValueOrDefault("thredo.fiber.spawned") + 9);
        Assert.True(during["thredo.kernel.handoffs"] >= 9);
        Assert.True(during["thredo.thread.count/held"] >= 9, $"held {during["thredo.thread.count/held"]}");
        Assert.True(during.ContainsKey("thredo.thread.count/pooled"));
        Assert.True(during["thredo.kernel.busy_time"] > 0);
        foreach (string name in new[] { "thredo.foreign_block.handoffs", "thredo.long_block.count", "thredo.deadlock.count" })
            Assert.True(during.ContainsKey(name), name);

        away.Set();
        ev.Set();
        foreach (Fiber f in sleepers) f.Cancel(wait: false);
        foreign.Wait();
    }

    [Fact]
    public void Counters_never_go_down_when_a_runtime_ends()
    {
        K.Run(() => { for (int i = 0; i < 10; i++) Fiber.Spawn(() => { }).Join(); });
        double after = Collect()["thredo.fiber.spawned"];
        Assert.True(after >= 11);
        Assert.True(Collect()["thredo.fiber.spawned"] >= after);
    }
}
