using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Thredo.Hosting.Tests;

public class GenericHostTests
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(30);

    /// <summary>What the services below did, shared through DI.</summary>
    internal sealed class Journal
    {
        internal readonly FiberQueue<int> Items = new(8);
        internal readonly TaskCompletionSource<int> Consumed = new(TaskCreationOptions.RunContinuationsAsynchronously);
        internal int Cleanups;
        internal bool ProducerCancelled;
    }

    internal sealed class Producer(Journal journal) : FiberService
    {
        protected override void Run()
        {
            try
            {
                for (int i = 1; ; i++)
                {
                    journal.Items.Put(i);
                    Fiber.Sleep(TimeSpan.FromMilliseconds(1));
                }
            }
            catch (FiberCancelledException)
            {
                journal.ProducerCancelled = true;
                throw;
            }
            finally
            {
                Interlocked.Increment(ref journal.Cleanups);
            }
        }
    }

    internal sealed class Consumer(Journal journal) : FiberService
    {
        protected override void Run()
        {
            try
            {
                int sum = 0;
                for (int n = 0; n < 10; n++)
                    sum += journal.Items.Get();
                journal.Consumed.SetResult(sum);
                Fiber.Sleep(Timeout.InfiniteTimeSpan);
            }
            finally
            {
                Interlocked.Increment(ref journal.Cleanups);
            }
        }
    }

    internal sealed class Failing : FiberService
    {
        protected override void Run()
        {
            Fiber.Sleep(TimeSpan.FromMilliseconds(5));
            throw new InvalidProgramException("service broke");
        }
    }

    internal sealed class NeverBlocks : FiberService
    {
        internal static volatile bool Release;

        protected override void Run()
        {
            while (!Release)
                Thread.SpinWait(100);
        }
    }

    private static (IHost Host, CapturingLoggerProvider Logs) Build(Action<IServiceCollection> configure, TimeSpan? shutdownTimeout = null)
    {
        var logs = new CapturingLoggerProvider();
        HostApplicationBuilder builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Logging.AddProvider(logs);
        if (shutdownTimeout is TimeSpan t)
            builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = t);
        configure(builder.Services);
        return (builder.Build(), logs);
    }

    [Fact]
    public async Task Two_fiber_services_run_with_the_host_talk_through_a_queue_and_are_cancelled_at_its_stop()
    {
        var (host, _) = Build(s => s.AddSingleton<Journal>().AddThredo().AddFiberService<Producer>().AddFiberService<Consumer>());
        using (host)
        {
            await host.StartAsync();
            Journal journal = host.Services.GetRequiredService<Journal>();
            Assert.Equal(55, await journal.Consumed.Task.WaitAsync(Long));
            FiberHost fibers = host.Services.GetRequiredService<FiberHost>();
            Assert.Contains(fibers.Snapshot(), f => f.Name == nameof(Consumer) && f.WaitingOn == "Sleep (forever)");

            await host.StopAsync();
            Assert.Equal(2, journal.Cleanups);
            Assert.True(journal.ProducerCancelled);
            Assert.True(fibers.IsStopping);
            Assert.Empty(fibers.Snapshot());
            Assert.True(host.Services.GetRequiredService<Producer>().ExecuteTask!.IsCanceled);
        }
    }

    [Fact]
    public async Task A_failing_fiber_service_is_logged_and_stops_the_application()
    {
        var (host, logs) = Build(s => s.AddFiberService<Failing>());   // AddThredo implied
        using (host)
        {
            var lifetime = host.Services.GetRequiredService<IHostApplicationLifetime>();
            await host.StartAsync();
            await Task.Delay(Timeout.Infinite, lifetime.ApplicationStopping).ContinueWith(_ => { }).WaitAsync(Long);
            await host.StopAsync();
        }
        var entry = Assert.Single(logs.Entries, e => e.Level == LogLevel.Error && e.Category == "Thredo");
        Assert.Contains("Failing", entry.Message);
        Assert.IsType<InvalidProgramException>(entry.Exception);
    }

    [Fact]
    public async Task Unjoined_fiber_failures_go_to_the_Thredo_logger()
    {
        var (host, logs) = Build(s => s.AddThredo());
        using (host)
        {
            await host.StartAsync();
            host.Services.GetRequiredService<FiberHost>().Spawn(() => throw new TimeZoneNotFoundException(), "lonely");
            await host.StopAsync();
        }
        var entry = Assert.Single(logs.Entries, e => e.Category == "Thredo");
        Assert.Equal(LogLevel.Error, entry.Level);
        Assert.Contains("'lonely' failed and nobody is joining it", entry.Message);
    }

    [Fact]
    public async Task The_shutdown_timeout_is_the_grace_and_a_fiber_that_never_blocks_is_named_in_a_warning()
    {
        NeverBlocks.Release = false;
        var (host, logs) = Build(s => s.AddThredo(new FiberOptions { ForeignBlockHandoff = Timeout.InfiniteTimeSpan }).AddFiberService<NeverBlocks>(),
            shutdownTimeout: TimeSpan.FromMilliseconds(200));
        try
        {
            await host.StartAsync();
            await host.StopAsync();
            var warning = Assert.Single(logs.Entries, e => e.Level == LogLevel.Warning && e.Category == "Thredo");
            Assert.Contains(nameof(NeverBlocks), warning.Message);
            Assert.Contains("abandoned", warning.Message);
        }
        finally
        {
            NeverBlocks.Release = true;
            host.Dispose();
        }
    }

    [Fact]
    public void Registration_refuses_bad_input_and_conflicting_options()
    {
        Assert.Equal("services", Assert.Throws<ArgumentNullException>(() => ThredoServiceCollectionExtensions.AddThredo(null!)).ParamName);
        Assert.Equal("services", Assert.Throws<ArgumentNullException>(() => ThredoServiceCollectionExtensions.AddFiberService<Failing>(null!)).ParamName);
        var services = new ServiceCollection().AddThredo(new FiberOptions { Schedulers = 2 });
        services.AddThredo(new FiberOptions { Schedulers = 2 });   // the same options again: fine
        Assert.Throws<InvalidOperationException>(() => services.AddThredo(new FiberOptions { Schedulers = 3 }));
    }

    [Fact]
    public async Task A_fiber_service_started_without_AddFiberService_says_how_to_register_it()
    {
        using var service = new Failing();
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => service.StartAsync(CancellationToken.None));
        Assert.Contains("AddFiberService<Failing>", e.Message);
    }
}
