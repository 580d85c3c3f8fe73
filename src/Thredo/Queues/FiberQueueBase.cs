using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.ExceptionServices;
using Thredo.Kernel;

namespace Thredo;

/// <summary>
/// What every fiber queue (<see cref="FiberQueue{T}"/>, <see cref="FiberLifoQueue{T}"/>,
/// <see cref="FiberPriorityQueue{T}"/>) does; they differ only in the order items come out. Usable from
/// fibers, from plain threads (blocking members block the thread) and from async code. Getters and putters wait in FIFO lists and are served by direct hand-off:
/// a put with a getter waiting gives the item to that getter (the store stays empty), and a get that frees
/// a slot of a full queue moves the first blocked putter's item into the store and wakes that putter.
/// <see cref="Complete"/> ends the puts, as <see cref="System.Collections.Concurrent.BlockingCollection{T}.CompleteAdding"/>
/// does: getters drain what is left, then <see cref="Get"/> throws <see cref="FiberQueueCompletedException"/>
/// and <see cref="GetConsumingEnumerable"/> ends.
/// </summary>
/// <remarks>
/// Discussion: because hand-offs are claimed by the waiter's compare-exchange, an interrupted wait leaves
/// no trace. A getter cancelled at the moment a putter arrives either got the item (and its cancellation
/// stays pending for the next blocking operation) or lost the race, and the item went to the next getter
/// or into the store. Likewise a cancelled putter's item is either in the queue (the put succeeded) or
/// nowhere. Unfinished work (<see cref="TaskDone"/>, <see cref="Join"/>) counts a put when it succeeds.
/// <para>
/// <see cref="Complete"/> wakes its waiters through the same compare-exchange, so a blocked getter or putter
/// is either woken by it (and throws) or by an item or slot it won first, or is interrupted; never two of
/// these. A completed queue never has a waiting getter or putter again: a get on it takes an item or
/// throws, and a put throws. Putting a sentinel (null, <c>default</c>) to stop consumers still works as
/// before: it is an item like any other.
/// </para>
/// </remarks>
/// <typeparam name="T">The item type.</typeparam>
[DebuggerDisplay("{ToString(),nq}")]
[SuppressMessage("Naming", "CA1711:Identifiers should not have incorrect suffix", Justification = "Named after the public queues whose base it is (API.md).")]
public abstract class FiberQueueBase<T>
{
    /// <summary>Guards every field below and the three waiter lists.</summary>
    private readonly Lock _lock = new();

    /// <summary>Callers in Get / GetAsync; while one is live the store is empty.</summary>
    private readonly WaitQueue _getters;

    /// <summary>Callers in Put / PutAsync on a full queue; each waiter's <see cref="Waiter.Value"/> is its item.</summary>
    private readonly WaitQueue _putters;

    /// <summary>Callers in Join; while one is live <see cref="_unfinished"/> is positive.</summary>
    private readonly WaitQueue _joiners;

    /// <summary>The items, in the public type's order.</summary>
    private readonly QueueStore<T> _store;

    /// <summary>The capacity; 0 for unbounded.</summary>
    private readonly int _maxSize;

    /// <summary>The public type's name ("FiberQueue"), for messages and the deadlock report.</summary>
    private readonly string _name;

    /// <summary>Items put and not yet marked done by <see cref="TaskDone"/>; at least the store's count.</summary>
    private int _unfinished;

    /// <summary>Set once by <see cref="Complete"/>; from then on every put throws and no getter or putter waits.</summary>
    private bool _completed;

    /// <summary>Only Thredo's queues derive from it: they differ in the store alone.</summary>
    private protected FiberQueueBase(QueueStore<T> store, int maxSize, string name)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxSize);
        _store = store;
        _maxSize = maxSize;
        _name = name;
        _getters = new WaitQueue(_lock);
        _putters = new WaitQueue(_lock);
        _joiners = new WaitQueue(_lock);
    }

    /// <summary>The items in the queue now (not counting items of blocked putters). A snapshot.</summary>
    public int Count
    {
        get { lock (_lock) return _store.Count; }
    }

    /// <summary>True if the queue holds no item now. A snapshot.</summary>
    public bool IsEmpty => Count == 0;

    /// <summary>True if the queue is bounded and holds its maximum now, so <see cref="Put"/> would block. Always false when unbounded. A snapshot.</summary>
    public bool IsFull
    {
        get { lock (_lock) return IsFullLocked; }
    }

    private bool IsFullLocked => _maxSize > 0 && _store.Count >= _maxSize;

    /// <summary>
    /// True once <see cref="Complete"/> was called and every item has been taken, so <see cref="Get"/> would
    /// throw <see cref="FiberQueueCompletedException"/> (as <see cref="System.Collections.Concurrent.BlockingCollection{T}.IsCompleted"/>).
    /// False while items remain, even after <see cref="Complete"/>. Once true it stays true.
    /// </summary>
    public bool IsCompleted
    {
        get { lock (_lock) return _completed && _store.Count == 0; }
    }

    /// <summary>
    /// Adds <paramref name="item"/>, handing it straight to the longest-waiting getter if there is one;
    /// blocks while a bounded queue is full (putters are served in arrival order). A cancellation point:
    /// a cancellation or timeout pending on entry is thrown before anything happens, even if there is
    /// room; one arriving while the caller waits for room ends the wait with nothing put; one deferred
    /// by <see cref="Fiber.DisableCancellation"/> is not delivered here; one arriving after the item was
    /// accepted is delivered at the next blocking operation.
    /// </summary>
    /// <param name="item">The item.</param>
    /// <exception cref="InvalidOperationException">The queue was completed (<see cref="Complete"/>) before the call or while it waited for room; the item was not put.</exception>
    /// <exception cref="FiberCancelledException">The calling fiber was cancelled before or while waiting; the item was not put.</exception>
    /// <exception cref="FiberTimeoutException">A timeout scope of the calling fiber expired before or while waiting; the item was not put.</exception>
    public void Put(T item)
    {
        Blocking.Checkpoint();
        Waiter? getter, w = null;
        lock (_lock)
        {
            AssertInvariants();
            NoteCallerLocked();
            if (!TryPutLocked(item, "Put", out getter))
            {
                w = Blocking.For(_putters, "Put", this);
                w.Value = item;   // moved into the store by the Get that frees a slot
                _putters.Enqueue(w);
            }
        }
        getter?.Signal();
        if (w is not null)
        {
            Blocking.Wait(w);
            ThrowIfPutFailed(w.Value, "Put");
        }
    }

    /// <summary>
    /// Adds <paramref name="item"/> if that needs no wait: to the longest-waiting getter if there is one,
    /// else into the queue if it is not full. Never blocks, and is not a cancellation point.
    /// </summary>
    /// <remarks>
    /// A completed queue throws rather than returning false, as <see cref="System.Collections.Concurrent.BlockingCollection{T}.TryAdd(T)"/>
    /// does: false means "full, try later", which a completed queue never stops being.
    /// </remarks>
    /// <param name="item">The item.</param>
    /// <returns>True if the item was put; false if the queue is bounded and full (nothing was put).</returns>
    /// <exception cref="InvalidOperationException">The queue was completed (<see cref="Complete"/>); the item was not put.</exception>
    public bool TryPut(T item)
    {
        Waiter? getter;
        bool put;
        lock (_lock)
        {
            AssertInvariants();
            NoteCallerLocked();
            put = TryPutLocked(item, "TryPut", out getter);
        }
        getter?.Signal();
        return put;
    }

    /// <summary>
    /// Adds <paramref name="item"/> from async code: as <see cref="Put"/>, but waits asynchronously for room.
    /// </summary>
    /// <param name="item">The item.</param>
    /// <param name="ct">Ends the wait for room early. If it is already cancelled on entry, nothing is put.</param>
    /// <returns>
    /// A task that completes once the item is in the queue (or handed to a getter), or is cancelled with
    /// nothing put. It faults with <see cref="InvalidOperationException"/>, nothing put, if the queue was
    /// completed (<see cref="Complete"/>) before the call or while it waited for room.
    /// </returns>
    public ValueTask PutAsync(T item, CancellationToken ct = default)
    {
        if (ct.IsCancellationRequested)
            return ValueTask.FromCanceled(ct);
        Waiter? getter;
        AsyncWaiter<object?>? w = null;
        lock (_lock)
        {
            AssertInvariants();
            MarkTouchedLocked();
            if (_completed)
                return ValueTask.FromException(PutAfterComplete("PutAsync"));   // faulted, as an await of a task expects
            if (!TryPutLocked(item, "PutAsync", out getter))
            {
                w = new AsyncWaiter<object?>(ct) { Description = "PutAsync", Source = this, Value = item };
                _putters.Enqueue(w);
            }
        }
        getter?.Signal();
        if (w is null)
            return ValueTask.CompletedTask;
        w.RegisterCancellation();
        return AwaitPut(w.Task);
    }

    private async ValueTask AwaitPut(Task<object?> put) => ThrowIfPutFailed(await put.ConfigureAwait(false), "PutAsync");

    /// <summary>
    /// Removes and returns the next item, blocking while the queue is empty (getters are served in
    /// arrival order). If the queue was full, the longest-blocked putter's item moves in and that putter
    /// returns. A cancellation point: a cancellation or timeout pending on entry is thrown before anything
    /// happens, even if an item is there; one arriving while the caller waits ends the wait with no item
    /// lost (it goes to the next getter, or stays queued); one deferred by
    /// <see cref="Fiber.DisableCancellation"/> is not delivered here; one arriving after an item was
    /// handed over is delivered at the next blocking operation. After <see cref="Complete"/> it still
    /// returns the items left, then throws <see cref="FiberQueueCompletedException"/>.
    /// </summary>
    /// <returns>The item.</returns>
    /// <exception cref="FiberQueueCompletedException">The queue is completed and empty, or was completed while the caller waited on an empty queue.</exception>
    /// <exception cref="FiberCancelledException">The calling fiber was cancelled before or while waiting; no item was taken.</exception>
    /// <exception cref="FiberTimeoutException">A timeout scope of the calling fiber expired before or while waiting; no item was taken.</exception>
    public T Get() => TakeOrWait("Get", out T item) ? item : throw CompletedAndEmpty();

    /// <summary>
    /// What <see cref="Get"/> and each step of <see cref="GetConsumingEnumerable"/> do: false instead of
    /// throwing once the queue is completed and empty, so a foreach ends without an exception.
    /// </summary>
    private bool TakeOrWait(string operation, out T item)
    {
        Blocking.Checkpoint();
        Waiter? putter, w = null;
        lock (_lock)
        {
            AssertInvariants();
            NoteCallerLocked();
            if (!TryTakeLocked(out item, out putter))
            {
                if (_completed)
                    return false;
                w = Blocking.For(_getters, operation, this);
                _getters.Enqueue(w);
            }
        }
        putter?.Signal();
        if (w is null)
            return true;
        Blocking.Wait(w);
        if (w.Value is CompletedWake)
            return false;
        item = (T)w.Value!;
        return true;
    }

    /// <summary>
    /// Items as <see cref="Get"/> takes them, for a <c>foreach</c> that blocks while the queue is empty and
    /// ends once it is completed (<see cref="Complete"/>) and empty, as
    /// <see cref="System.Collections.Concurrent.BlockingCollection{T}.GetConsumingEnumerable()"/> does. Several
    /// consumers may enumerate at once: each item goes to exactly one of them. Every <c>MoveNext</c> is a
    /// <see cref="Get"/>, so a cancellation point: a cancellation or timeout of the calling fiber ends the
    /// loop with its exception and takes no item (an item already handed over is yielded first, and the
    /// interrupt is delivered at the next blocking operation). Nothing happens until the first <c>MoveNext</c>.
    /// </summary>
    /// <returns>A lazy, consuming sequence; enumerating it removes the items it yields.</returns>
    /// <exception cref="FiberCancelledException">From <c>MoveNext</c>: the calling fiber was cancelled before or while waiting; no item was taken.</exception>
    /// <exception cref="FiberTimeoutException">From <c>MoveNext</c>: a timeout scope of the calling fiber expired before or while waiting; no item was taken.</exception>
    public IEnumerable<T> GetConsumingEnumerable()
    {
        while (TakeOrWait("GetConsumingEnumerable", out T item))
            yield return item;
    }

    /// <summary>Removes and returns the next item if there is one. Never blocks, and is not a cancellation point.</summary>
    /// <param name="item">The item taken; <c>default</c> when none.</param>
    /// <returns>True if an item was taken; false if the queue was empty (completed or not).</returns>
    public bool TryGet(out T item)
    {
        Waiter? putter;
        bool taken;
        lock (_lock)
        {
            AssertInvariants();
            NoteCallerLocked();
            taken = TryTakeLocked(out item, out putter);
        }
        putter?.Signal();
        return taken;
    }

    /// <summary>
    /// Removes and returns the next item from async code: as <see cref="Get"/>, but waits asynchronously.
    /// </summary>
    /// <param name="ct">Ends the wait early, with no item lost. If it is already cancelled on entry, nothing is taken.</param>
    /// <returns>
    /// A task with the item, or a cancelled task when <paramref name="ct"/> ended the wait. It faults with
    /// <see cref="FiberQueueCompletedException"/> if the queue is completed and empty, or is completed while
    /// the caller waits on an empty queue.
    /// </returns>
    public ValueTask<T> GetAsync(CancellationToken ct = default)
    {
        if (ct.IsCancellationRequested)
            return ValueTask.FromCanceled<T>(ct);
        Waiter? putter;
        AsyncWaiter<object?>? w = null;   // not AsyncWaiter<T>: Complete hands it a CompletedWake, which is no T
        T item;
        lock (_lock)
        {
            AssertInvariants();
            MarkTouchedLocked();
            if (!TryTakeLocked(out item, out putter))
            {
                if (_completed)
                    return ValueTask.FromException<T>(CompletedAndEmpty());
                w = new AsyncWaiter<object?>(ct) { Description = "GetAsync", Source = this };
                _getters.Enqueue(w);
            }
        }
        putter?.Signal();
        if (w is null)
            return new ValueTask<T>(item);
        w.RegisterCancellation();
        return AwaitGet(w.Task);
    }

    private async ValueTask<T> AwaitGet(Task<object?> get)
    {
        object? value = await get.ConfigureAwait(false);
        return value is CompletedWake ? throw CompletedAndEmpty() : (T)value!;
    }

    /// <summary>
    /// Ends the puts: every later <see cref="Put"/>, <see cref="TryPut"/> and <see cref="PutAsync"/> throws
    /// <see cref="InvalidOperationException"/>, and callers blocked in them on a full queue (fibers, threads,
    /// async) are woken with it, their items not put. Getters take what is left; then <see cref="Get"/> and
    /// <see cref="GetAsync"/> throw <see cref="FiberQueueCompletedException"/>, <see cref="TryGet"/> returns
    /// false and <see cref="GetConsumingEnumerable"/> ends; getters blocked on an empty queue are woken
    /// with that exception (or end their foreach). <see cref="TaskDone"/> and <see cref="Join"/> are unaffected.
    /// Idempotent, never blocks, not a cancellation point; callable from any thread or async code.
    /// </summary>
    public void Complete()
    {
        List<Waiter> woken;
        lock (_lock)
        {
            AssertInvariants();
            NoteCallerLocked();
            if (_completed)
                return;
            _completed = true;
            woken = [];
            // A getter waits only while the store is empty (an invariant), so every one of them would wait forever.
            while (_getters.CompleteFirst(CompletedWake.Instance) is Waiter getter)
                woken.Add(getter);
            // CompleteFirst (not ClaimFirst) replaces the putter's item, which is dropped: the put fails.
            while (_putters.CompleteFirst(CompletedWake.Instance) is Waiter putter)
                woken.Add(putter);
            AssertInvariants();
        }
        foreach (Waiter w in woken)
            w.Signal();
    }

    /// <summary>
    /// Marks one item put earlier as finished (a consumer calls it after handling what <see cref="Get"/>
    /// returned). When none is left unfinished, every <see cref="Join"/> returns. Never blocks.
    /// </summary>
    /// <exception cref="InvalidOperationException">Called more times than items were put.</exception>
    public void TaskDone()
    {
        List<Waiter>? joined = null;
        lock (_lock)
        {
            AssertInvariants();
            NoteCallerLocked();
            if (_unfinished == 0)
                ThrowTooManyDone();
            if (--_unfinished == 0)
                joined = _joiners.CompleteAll();
        }
        if (joined is not null)
            foreach (Waiter w in joined)
                w.Signal();
    }

    /// <summary>
    /// Blocks until every item put so far has been marked finished with <see cref="TaskDone"/>; returns at
    /// once if none is unfinished. A cancellation point: a cancellation or timeout pending on entry is
    /// thrown even if nothing is unfinished; one arriving while the caller waits ends the wait; one deferred
    /// by <see cref="Fiber.DisableCancellation"/> is not delivered here; one arriving after the work was
    /// finished is delivered at the next blocking operation.
    /// </summary>
    /// <exception cref="FiberCancelledException">The calling fiber was cancelled before or while waiting.</exception>
    /// <exception cref="FiberTimeoutException">A timeout scope of the calling fiber expired before or while waiting.</exception>
    public void Join()
    {
        Blocking.Checkpoint();
        Waiter w;
        lock (_lock)
        {
            AssertInvariants();
            NoteCallerLocked();
            if (_unfinished == 0)
                return;
            w = Blocking.For(_joiners, "Join", this);
            _joiners.Enqueue(w);
        }
        Blocking.Wait(w);
    }

    /// <summary>
    /// Puts without waiting: to the first live getter (returned, to be signalled after the lock is
    /// released), else into the store if there is room. False if the queue is full; throws if it is
    /// completed (<paramref name="operation"/> names the caller for the message).
    /// </summary>
    private bool TryPutLocked(T item, string operation, out Waiter? getter)
    {
        if (_completed)
            throw PutAfterComplete(operation);
        getter = _getters.CompleteFirst(item);
        if (getter is null)
        {
            if (IsFullLocked)
                return false;
            _store.Add(item);
        }
        _unfinished++;
        return true;
    }

    /// <summary>
    /// Takes the next item if there is one, refilling the freed slot from the first live putter (returned,
    /// to be signalled after the lock is released). False if the queue is empty.
    /// </summary>
    private bool TryTakeLocked(out T item, out Waiter? putter)
    {
        putter = null;
        if (_store.Count == 0)
        {
            item = default!;
            return false;
        }
        item = _store.Take();
        putter = _putters.ClaimFirst();
        if (putter is not null)
        {
            try
            {
                _store.Add((T)putter.Value!);
                putter.Value = null;   // the put's result is nothing; don't keep the item alive through it
                _unfinished++;
            }
            catch (Exception e)
            {
                // The store refused the item (a priority comparer threw): the putter is claimed, so it must
                // be woken, and it is the one to fail; the getter still gets the item it took.
                putter.Value = new FailedPut(ExceptionDispatchInfo.Capture(e));
            }
        }
        return true;
    }

    /// <summary>A blocked put whose item the store refused when a slot freed: the putter rethrows the store's exception.</summary>
    private sealed class FailedPut(ExceptionDispatchInfo failure)
    {
        [DoesNotReturn]
        internal void Rethrow() => failure.Throw();
    }

    /// <summary>
    /// The value <see cref="Complete"/> hands a blocked getter or putter instead of an item. The woken caller
    /// makes its own exception, so no exception object is thrown on several stacks at once. Private, so
    /// never a user's item (a null or default sentinel stays an item).
    /// </summary>
    private sealed class CompletedWake
    {
        internal static readonly CompletedWake Instance = new();
    }

    /// <summary>Throws what a blocked put learned when it was woken: a store failure, or <see cref="Complete"/>; nothing if it put its item.</summary>
    private void ThrowIfPutFailed(object? result, string operation)
    {
        (result as FailedPut)?.Rethrow();
        if (result is CompletedWake)
            throw PutAfterComplete(operation);
    }

    /// <summary>A plain thread or another runtime's fiber may use the queue again in any way, so every kind of wait may end from outside.</summary>
    private void NoteCallerLocked()
    {
        _getters.NoteCaller(Fiber.CurrentOrNull);
        if (_getters.TouchedFromOutside)
            MarkTouchedLocked();
    }

    private void MarkTouchedLocked() =>
        _getters.TouchedFromOutside = _putters.TouchedFromOutside = _joiners.TouchedFromOutside = true;

    [DoesNotReturn]
    private void ThrowTooManyDone() => throw new InvalidOperationException(
        $"{_name}.TaskDone was called more times than items were put (no unfinished item is left).");

    private InvalidOperationException PutAfterComplete(string operation) => new(
        $"{_name}<{typeof(T).Name}> is completed (Complete was called) and accepts no more items; the item given to {operation} was not put.");

    private FiberQueueCompletedException CompletedAndEmpty() => new(
        $"{_name}<{typeof(T).Name}> is complete and empty: Complete was called and every item has been taken.");

    [Conditional("DEBUG")]
    private void AssertInvariants()
    {
        Debug.Assert(_lock.IsHeldByCurrentThread);
        Debug.Assert(_maxSize == 0 || _store.Count <= _maxSize, "over capacity");
        Debug.Assert(_unfinished >= _store.Count, "an item still queued is counted as done");
        Debug.Assert(_store.Count == 0 || _getters.PeekLive() is null, "items wait while a getter waits");
        Debug.Assert(IsFullLocked || _putters.PeekLive() is null, "a putter waits while there is room");
        Debug.Assert(_unfinished > 0 || _joiners.PeekLive() is null, "a joiner waits with no unfinished item");
        Debug.Assert(!_completed || _getters.PeekLive() is null, "a getter waits on a completed queue");
        Debug.Assert(!_completed || _putters.PeekLive() is null, "a putter waits on a completed queue");
    }

    /// <inheritdoc/>
    public override string ToString()
    {
        string size = _maxSize > 0 ? $"{_store.Count}/{_maxSize}" : $"{_store.Count}";
        return $"{_name}<{typeof(T).Name}>({size} items, {_unfinished} unfinished, " +
               $"{_getters.Count} getting, {_putters.Count} putting, {_joiners.Count} joining" +
               (_completed ? ", completed)" : ")");
    }
}
