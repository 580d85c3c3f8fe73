using System.Runtime.InteropServices;
using Thredo.IO;

namespace Thredo.Examples;

/// <summary>
/// The live view of the examples: every fiber, what it waits on and for how long, printed on
/// <c>SIGQUIT</c> (<c>kill -QUIT pid</c>, or Ctrl+\ in a terminal) and, with <c>--monitor</c>, every few seconds.
/// </summary>
internal sealed class SnapshotMonitor : IDisposable
{
    private static readonly TimeSpan Period = TimeSpan.FromSeconds(3);
    private readonly Func<IReadOnlyList<FiberInfo>> _snapshot;
    private readonly PosixSignalRegistration? _quit;
    private readonly Timer? _timer;

    /// <summary>Watches the fibers that <paramref name="snapshot"/> returns (a host's <see cref="FiberHost.Snapshot"/>).</summary>
    internal SnapshotMonitor(Func<IReadOnlyList<FiberInfo>> snapshot, bool periodic)
    {
        _snapshot = snapshot;
        if (!OperatingSystem.IsWindows())
            _quit = PosixSignalRegistration.Create(PosixSignal.SIGQUIT, ctx => { ctx.Cancel = true; Print("SIGQUIT"); });
        if (periodic)
            _timer = new Timer(_ => Print("--monitor"), null, Period, Period);
    }

    /// <summary>
    /// The same view from inside a <c>Fiber.Run</c> program: a fiber that prints <see cref="Fiber.Snapshot"/>
    /// on <c>SIGQUIT</c> and, if <paramref name="periodic"/>, every few seconds. It ends when cancelled
    /// (main's end cancels it with the other fibers left).
    /// </summary>
    internal static Fiber SpawnFiber(bool periodic) => Fiber.Spawn(() =>
    {
        // Started with SIGQUIT ignored (in the background of a non-interactive shell), it can never fire.
        SignalEvent? quit = QuitEventOrNull();
        if (quit is null && !periodic)
            return;
        using var _ = quit;
        while (true)
        {
            string why = quit is null ? SleepThen(Period, "--monitor")
                : periodic ? Fiber.IgnoreAfter(Period, () => { quit.Wait(); return "SIGQUIT"; }, "--monitor") : Wait(quit);
            IReadOnlyList<FiberInfo> fibers = Fiber.Snapshot();
            Console.WriteLine($"-- fibers ({why}, {DateTime.Now:HH:mm:ss}): {fibers.Count} live");
            Console.Write(FiberInfo.FormatTable(fibers));
        }
    }, "snapshot monitor");

    private static SignalEvent? QuitEventOrNull()
    {
        try
        {
            return new SignalEvent(PosixSignal.SIGQUIT);
        }
        catch (InvalidOperationException)
        {
            return null;   // SIGQUIT inherited as ignored: SignalEvent refuses an event that could never fire
        }
    }

    private static string SleepThen(TimeSpan delay, string why)
    {
        Fiber.Sleep(delay);
        return why;
    }

    private static string Wait(SignalEvent quit)
    {
        quit.Wait();
        return "SIGQUIT";
    }

    /// <summary>True if <paramref name="args"/> asks for the periodic view.</summary>
    internal static bool Wanted(string[] args) => args.Contains("--monitor");

    private void Print(string why)
    {
        IReadOnlyList<FiberInfo> fibers = _snapshot();
        Console.WriteLine($"-- fibers ({why}, {DateTime.Now:HH:mm:ss}): {fibers.Count} live");
        Console.Write(FiberInfo.FormatTable(fibers));
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _quit?.Dispose();
        _timer?.Dispose();
    }
}
