using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;

namespace Thredo;

/// <summary>
/// A last-in, first-out queue (a stack) between fibers (Curio's <c>LifoQueue</c>), optionally bounded: <see cref="FiberQueueBase{T}.Get"/>
/// returns the most recently put item. Otherwise exactly like <see cref="FiberQueue{T}"/>: usable from fibers,
/// plain threads and async code; getters and putters are served in arrival order by direct hand-off; and
/// <see cref="FiberQueueBase{T}.TaskDone"/> / <see cref="FiberQueueBase{T}.Join"/> track unfinished work.
/// </summary>
/// <typeparam name="T">The item type.</typeparam>
[DebuggerDisplay("{ToString(),nq}")]
[SuppressMessage("Naming", "CA1711:Identifiers should not have incorrect suffix", Justification = "The name is fixed by the public API contract (API.md).")]
public sealed class FiberLifoQueue<T> : FiberQueueBase<T>
{
    /// <summary>Creates an empty queue.</summary>
    /// <param name="maxSize">The most items it holds before <see cref="FiberQueueBase{T}.Put"/> blocks; 0 (the default) for unbounded.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxSize"/> is negative.</exception>
    public FiberLifoQueue(int maxSize = 0)
        : base(QueueStore<T>.Lifo(), maxSize, "FiberLifoQueue")
    {
    }
}
