using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;

namespace Thredo;

/// <summary>
/// A first-in, first-out queue between fibers (Curio's <c>Queue</c>, Python's <c>queue.Queue</c>), optionally
/// bounded. Usable from fibers, from plain threads (blocking members block the thread) and from async
/// code (<see cref="PutAsync"/>, <see cref="GetAsync"/>), so a fiber program can talk to the rest of an
/// application. Getters and putters are served in arrival order, by direct hand-off: an item put while
/// a getter waits goes straight to that getter.
/// </summary>
/// <typeparam name="T">The item type.</typeparam>
/// <remarks>
/// <see cref="TaskDone"/> and <see cref="Join"/> track work: every successful put adds an unfinished
/// item, <see cref="TaskDone"/> marks one finished, and <see cref="Join"/> waits until none is left.
/// </remarks>
[DebuggerDisplay("{ToString(),nq}")]
[SuppressMessage("Naming", "CA1711:Identifiers should not have incorrect suffix", Justification = "The name is fixed by the public API contract (API.md).")]
public sealed class FiberQueue<T>
{
    /// <summary>The shared queue logic, over a FIFO store.</summary>
    private readonly QueueCore<T> _core;

    /// <summary>Creates an empty queue.</summary>
    /// <param name="maxSize">The most items it holds before <see cref="Put"/> blocks; 0 (the default) for unbounded.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxSize"/> is negative.</exception>
    public FiberQueue(int maxSize = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxSize);
        _core = new QueueCore<T>(QueueStore<T>.Fifo(), maxSize, "FiberQueue");
    }

    /// <summary>The items in the queue now (not counting items of blocked putters). A snapshot.</summary>
    public int Count => _core.Count;

    /// <summary>True if the queue holds no item now. A snapshot.</summary>
    public bool IsEmpty => _core.IsEmpty;

    /// <summary>True if the queue is bounded and holds its maximum now, so <see cref="Put"/> would block. Always false when unbounded. A snapshot.</summary>
    public bool IsFull => _core.IsFull;

    /// <summary>
    /// Adds <paramref name="item"/>, handing it straight to the longest-waiting getter if there is one;
    /// blocks while a bounded queue is full (putters are served in arrival order). A cancellation point:
    /// a cancellation or timeout pending on entry is thrown before anything happens, even if there is
    /// room; one arriving while the caller waits for room ends the wait with nothing put; one deferred
    /// by <see cref="Fiber.DisableCancellation"/> is not delivered here; one arriving after the item was
    /// accepted is delivered at the next blocking operation.
    /// </summary>
    /// <param name="item">The item.</param>
    /// <exception cref="FiberCancelledException">The calling fiber was cancelled before or while waiting; the item was not put.</exception>
    /// <exception cref="FiberTimeoutException">A timeout scope of the calling fiber expired before or while waiting; the item was not put.</exception>
    public void Put(T item) => _core.Put(item);

    /// <summary>
    /// Removes and returns the next item, blocking while the queue is empty (getters are served in
    /// arrival order). If the queue was full, the longest-blocked putter's item moves in and that putter
    /// returns. A cancellation point: a cancellation or timeout pending on entry is thrown before anything
    /// happens, even if an item is there; one arriving while the caller waits ends the wait with no item
    /// lost (it goes to the next getter, or stays queued); one deferred by
    /// <see cref="Fiber.DisableCancellation"/> is not delivered here; one arriving after an item was
    /// handed over is delivered at the next blocking operation.
    /// </summary>
    /// <returns>The item.</returns>
    /// <exception cref="FiberCancelledException">The calling fiber was cancelled before or while waiting; no item was taken.</exception>
    /// <exception cref="FiberTimeoutException">A timeout scope of the calling fiber expired before or while waiting; no item was taken.</exception>
    public T Get() => _core.Get();

    /// <summary>Removes and returns the next item if there is one. Never blocks, and is not a cancellation point.</summary>
    /// <param name="item">The item taken; <c>default</c> when none.</param>
    /// <returns>True if an item was taken; false if the queue was empty.</returns>
    public bool TryGet(out T item) => _core.TryGet(out item);

    /// <summary>
    /// Marks one item put earlier as finished (a consumer calls it after handling what <see cref="Get"/>
    /// returned). When none is left unfinished, every <see cref="Join"/> returns. Never blocks.
    /// </summary>
    /// <exception cref="InvalidOperationException">Called more times than items were put.</exception>
    public void TaskDone() => _core.TaskDone();

    /// <summary>
    /// Blocks until every item put so far has been marked finished with <see cref="TaskDone"/>; returns at
    /// once if none is unfinished. A cancellation point: a cancellation or timeout pending on entry is
    /// thrown even if nothing is unfinished; one arriving while the caller waits ends the wait; one deferred
    /// by <see cref="Fiber.DisableCancellation"/> is not delivered here; one arriving after the work was
    /// finished is delivered at the next blocking operation.
    /// </summary>
    /// <exception cref="FiberCancelledException">The calling fiber was cancelled before or while waiting.</exception>
    /// <exception cref="FiberTimeoutException">A timeout scope of the calling fiber expired before or while waiting.</exception>
    public void Join() => _core.Join();

    /// <summary>
    /// Adds <paramref name="item"/> from async code: as <see cref="Put"/>, but waits asynchronously for room.
    /// </summary>
    /// <param name="item">The item.</param>
    /// <param name="ct">Ends the wait for room early. If it is already cancelled on entry, nothing is put.</param>
    /// <returns>A task that completes once the item is in the queue (or handed to a getter), or is cancelled with nothing put.</returns>
    public ValueTask PutAsync(T item, CancellationToken ct = default) => _core.PutAsync(item, ct);

    /// <summary>
    /// Removes and returns the next item from async code: as <see cref="Get"/>, but waits asynchronously.
    /// </summary>
    /// <param name="ct">Ends the wait early, with no item lost. If it is already cancelled on entry, nothing is taken.</param>
    /// <returns>A task with the item, or a cancelled task when <paramref name="ct"/> ended the wait.</returns>
    public ValueTask<T> GetAsync(CancellationToken ct = default) => _core.GetAsync(ct);

    /// <summary>The size, unfinished count and waiters, e.g. <c>FiberQueue&lt;Int32&gt;(0/8 items, 3 unfinished, 2 getting, 0 putting, 0 joining)</c>.</summary>
    /// <returns>A description used in debugger views and deadlock reports.</returns>
    public override string ToString() => _core.ToString();
}
