using System.Collections.Concurrent;
using System.Diagnostics.Tracing;
using Thredo.Kernel;

namespace Thredo.Diagnostics;

/// <summary>
/// Which OS threads of the process wait in <c>Monitor.Enter</c> (a C# <c>lock</c>, <c>Monitor.TryEnter</c>,
/// a <see cref="System.Threading.Lock"/>) and which thread holds the lock each waits for, learnt from the
/// runtime's own contention events (ContentionStart 81 and ContentionStop 91 of
/// "Microsoft-Windows-DotNETRuntime", keyword Contention) through an in-process listener.
/// </summary>
/// <remarks>
/// Discussion: measured on .NET 10.0.12 (linux-x64), the events reach an in-process listener on one
/// dispatch thread, 1 to 25 ms after the wait began; <see cref="EventWrittenEventArgs.OSThreadId"/> is
/// the waiter's OS thread id and ContentionStart's LockOwnerThreadID the holder's (gettid on Linux),
/// for plain Enter, TryEnter with a timeout and Lock alike. A waiter raises them only once it stops
/// spinning and sleeps, so an uncontended or briefly contended lock costs nothing more; the session
/// itself took 27 ms and 13 MB of RSS the first time in a process (0.4 ms after). Hence it is on only
/// while some runtime reports long stays (ForeignBlockWatch with LongBlockWarning), shared and counted.
/// The object locked is not known: the events give its address only, which the GC may move.
/// </remarks>
internal sealed class MonitorContention : EventListener
{
    /// <summary>One thread's wait: the holder's OS thread id (0 if not known).</summary>
    internal readonly record struct Wait(int OwnerTid);

    private const string RuntimeSource = "Microsoft-Windows-DotNETRuntime";
    private const EventKeywords ContentionKeyword = (EventKeywords)0x4000;
    private const int ContentionStart = 81, ContentionStop = 91;

    private static readonly Lock s_gate = new();
    private static MonitorContention? s_listener;   // the live listener while s_users > 0 (guarded by s_gate)
    private static int s_users;                     // runtimes that need it (guarded by s_gate)

    // Initialised before the base constructor, which may already deliver events.
    private readonly ConcurrentDictionary<int, Wait> _waits = new();   // OS tid -> its wait, between its Start and Stop

    /// <summary>A runtime needs the waits: starts the listener if it is the first.</summary>
    internal static void Acquire()
    {
        lock (s_gate)
        {
            if (s_users == 0)
                s_listener = new MonitorContention();   // first: a constructor that throws leaves the count alone
            s_users++;
        }
    }

    /// <summary>A runtime no longer needs them: stops the listener if it was the last.</summary>
    internal static void Release()
    {
        lock (s_gate)
        {
            if (--s_users == 0)
            {
                s_listener!.Dispose();
                s_listener = null;
            }
        }
    }

    /// <summary>True if some thread is known to wait in Monitor.Enter now: only then is a wait-for relation worth building.</summary>
    internal static bool AnyWaits => Volatile.Read(ref s_listener) is MonitorContention l && !l._waits.IsEmpty;

    /// <summary>
    /// The wait of OS thread <paramref name="tid"/> in Monitor.Enter, if the runtime has reported one that
    /// has not ended. False when it waits in none, when the listener is off, or when the wait began so
    /// recently that its event has not arrived yet.
    /// </summary>
    internal static bool TryGet(int tid, out Wait wait)
    {
        wait = default;
        return tid != 0 && Volatile.Read(ref s_listener) is MonitorContention l && l._waits.TryGetValue(tid, out wait);
    }

    /// <summary>
    /// Thread <paramref name="tid"/> runs Thredo code again, or a new fiber: whatever wait it had is over.
    /// A wait ended by an exception (Thread.Interrupt) raises no ContentionStop, and fiber threads are reused.
    /// </summary>
    internal static void Forget(int tid)
    {
        if (Volatile.Read(ref s_listener) is MonitorContention l)
            l._waits.TryRemove(tid, out _);
    }

    /// <inheritdoc/>
    protected override void OnEventSourceCreated(EventSource eventSource)
    {
        if (eventSource.Name == RuntimeSource)
            EnableEvents(eventSource, EventLevel.Informational, ContentionKeyword);
    }

    /// <inheritdoc/>
    protected override void OnEventWritten(EventWrittenEventArgs eventData)
    {
        int tid = unchecked((int)eventData.OSThreadId);
        if (eventData.EventId == ContentionStart)
            _waits[tid] = new Wait(OwnerOf(eventData));
        else if (eventData.EventId == ContentionStop)
            _waits.TryRemove(tid, out _);
    }

    /// <summary>LockOwnerThreadID (version 2 of the event, .NET 8 on); 0 where absent.</summary>
    private static int OwnerOf(EventWrittenEventArgs e)
    {
        int i = e.PayloadNames?.IndexOf("LockOwnerThreadID") ?? -1;
        return i >= 0 && e.Payload![i] is ulong owner ? unchecked((int)owner) : 0;
    }

}
