using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Thredo.Hosting;

namespace Thredo.Examples;

/// <summary>
/// A Generic Host worker service with two fiber services, written blocking-style: an order intake
/// puts orders on a <see cref="FiberQueue{T}"/>, a packer takes them and "packs" each (a sleep).
/// Ctrl+C (or <c>--seconds N</c>) stops the host: both fibers are cancelled at their next blocking
/// operation, their cleanup runs, and each says what it was doing when cancelled.
/// </summary>
internal sealed partial class WorkerServiceExample : Example
{
    public override string Name => "worker-service";

    public override string Description => "Generic Host with two fiber services and a queue; Ctrl+C stops cleanly; --seconds N, --monitor, --stubborn";

    public override int Order => 60;

    /// <summary>The queue between the services, and what they did (a singleton).</summary>
    internal sealed class Orders
    {
        internal readonly FiberQueue<int> Queue = new(maxSize: 5);
        internal int Packed;
    }

    internal sealed class Intake(Orders orders, ILogger<Intake> log) : FiberService
    {
        protected override void Run()
        {
            int next = 1;
            try
            {
                while (true)
                {
                    Fiber.Sleep(TimeSpan.FromMilliseconds(Random.Shared.Next(20, 120)));
                    orders.Queue.Put(next);
                    next++;
                }
            }
            catch (FiberCancelledException)
            {
                Log.IntakeCancelled(log, next, orders.Queue.Count);
                throw;
            }
        }
    }

    internal sealed class Packer(Orders orders, ILogger<Packer> log) : FiberService
    {
        protected override void Run()
        {
            int? current = null;
            try
            {
                while (true)
                {
                    current = null;
                    current = orders.Queue.Get();
                    Fiber.Sleep(TimeSpan.FromMilliseconds(90));   // packing
                    Interlocked.Increment(ref orders.Packed);
                    if (orders.Packed % 10 == 0)
                        Log.Progress(log, orders.Packed);
                }
            }
            catch (FiberCancelledException)
            {
                if (current is int order)
                    Log.PackerCancelledPacking(log, order);
                else
                    Log.PackerCancelledWaiting(log);
                throw;
            }
        }
    }

    /// <summary>
    /// --stubborn: a service that defers its cancellation for good (a cleanup that never finishes).
    /// The host's stop waits out the shutdown timeout, abandons it by name, and the process still exits.
    /// </summary>
    internal sealed class Stubborn : FiberService
    {
        protected override void Run()
        {
            using (Fiber.DisableCancellation())
                while (true)
                    Fiber.Sleep(TimeSpan.FromMilliseconds(50));
        }
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Information, Message = "intake: cancelled while waiting to take order {Order}; {Queued} order(s) still queued")]
        internal static partial void IntakeCancelled(ILogger log, int order, int queued);

        [LoggerMessage(Level = LogLevel.Information, Message = "packer: {Packed} orders packed")]
        internal static partial void Progress(ILogger log, int packed);

        [LoggerMessage(Level = LogLevel.Information, Message = "packer: cancelled while packing order {Order}")]
        internal static partial void PackerCancelledPacking(ILogger log, int order);

        [LoggerMessage(Level = LogLevel.Information, Message = "packer: cancelled while waiting for an order")]
        internal static partial void PackerCancelledWaiting(ILogger log);
    }

    public override int Run(string[] args)
    {
        double? seconds = null;
        bool stubborn = false;
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--seconds": seconds = double.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--monitor": break;
                case "--stubborn": stubborn = true; break;
                default:
                    Console.Error.WriteLine($"worker-service: unknown option '{args[i]}' (use --seconds N, --monitor, --stubborn)");
                    return 2;
            }
        }
        HostApplicationBuilder builder = Host.CreateApplicationBuilder();
        builder.Logging.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss "; });
        builder.Services.AddSingleton<Orders>().AddThredo();
        if (stubborn)
        {
            // Registered first, so stopped last (after the others were cancelled), using up the grace.
            builder.Services.AddFiberService<Stubborn>();
            builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(2));
        }
        builder.Services.AddFiberService<Intake>().AddFiberService<Packer>();
        using IHost host = builder.Build();
        host.Start();
        FiberHost fibers = host.Services.GetRequiredService<FiberHost>();
        using var monitor = new SnapshotMonitor(fibers.Snapshot, SnapshotMonitor.Wanted(args));
        Console.WriteLine(seconds is double s ? $"worker-service: running for {s} s (Ctrl+C stops it sooner)" : "worker-service: running; Ctrl+C stops it");
        var lifetime = host.Services.GetRequiredService<IHostApplicationLifetime>();
        if (seconds is double limit)
            lifetime.ApplicationStopping.WaitHandle.WaitOne(TimeSpan.FromSeconds(limit));
        else
            lifetime.ApplicationStopping.WaitHandle.WaitOne();
        Console.WriteLine("worker-service: live fibers at shutdown:");
        Console.Write(FiberInfo.FormatTable(fibers.Snapshot()));
        host.StopAsync().GetAwaiter().GetResult();
        Orders orders = host.Services.GetRequiredService<Orders>();
        int left = fibers.Snapshot().Count;
        Console.WriteLine($"worker-service: stopped {(left == 0 ? "cleanly" : $"with {left} fiber(s) abandoned")}; {orders.Packed} orders packed, {orders.Queue.Count} left in the queue");
        return 0;
    }
}
