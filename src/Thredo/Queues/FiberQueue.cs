using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;

namespace Thredo;

/// <summary>
/// A first-in, first-out queue between fibers (Curio's <c>Queue</c>, Python's <c>queue.Queue</c>), optionally
/// bounded. Usable from fibers, from plain threads (blocking members block the thread) and from async
/// code (<see cref="FiberQueueBase{T}.PutAsync"/>, <see cref="FiberQueueBase{T}.GetAsync"/>), so a fiber program can talk to the rest of an
/// application. Getters and putters are served in arrival order, by direct hand-off: an item put while
/// a getter waits goes straight to that getter.
/// </summary>
/// <typeparam name="T">The item type.</typeparam>
/// <remarks>
/// <see cref="FiberQueueBase{T}.TaskDone"/> and <see cref="FiberQueueBase{T}.Join"/> track work: every successful put adds an unfinished
/// item, <see cref="FiberQueueBase{T}.TaskDone"/> marks one finished, and <see cref="FiberQueueBase{T}.Join"/> waits until none is left.
/// <see cref="FiberQueueBase{T}.Complete"/> ends the puts as <see cref="System.Collections.Concurrent.BlockingCollection{T}.CompleteAdding"/>
/// does: consumers drain what is left (<see cref="FiberQueueBase{T}.GetConsumingEnumerable"/> then ends, and
/// <see cref="FiberQueueBase{T}.Get"/> throws <see cref="FiberQueueCompletedException"/>).
/// </remarks>
[DebuggerDisplay("{ToString(),nq}")]
[SuppressMessage("Naming", "CA1711:Identifiers should not have incorrect suffix", Justification = "The name is fixed by the public API contract (API.md).")]
public sealed class FiberQueue<T> : FiberQueueBase<T>
{
    /// <summary>Creates an empty queue.</summary>
    /// <param name="maxSize">The most items it holds before <see cref="FiberQueueBase{T}.Put"/> blocks; 0 (the default) for unbounded.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxSize"/> is negative.</exception>
    public FiberQueue(int maxSize = 0)
        : base(QueueStore<T>.Fifo(), maxSize, "FiberQueue")
    {
    }
}
