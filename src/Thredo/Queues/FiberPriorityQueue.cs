using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;

namespace Thredo;

/// <summary>
/// A priority queue between fibers (Curio's <c>PriorityQueue</c>), optionally bounded: <see cref="Get"/> returns
/// the smallest item by the comparer given at construction, and equal items in the order they were put.
/// Otherwise exactly like <see cref="FiberQueue{T}"/>: usable from fibers, plain threads and async code;
/// getters and putters are served in arrival order by direct hand-off (an item put while a getter waits
/// goes to that getter whatever its priority); and <see cref="TaskDone"/> / <see cref="Join"/> track
/// unfinished work.
/// </summary>
/// <typeparam name="T">The item type; with no comparer it must implement <see cref="IComparable{T}"/> or <see cref="IComparable"/>.</typeparam>
[DebuggerDisplay("{ToString(),nq}")]
[SuppressMessage("Naming", "CA1711:Identifiers should not have incorrect suffix", Justification = "The name is fixed by the public API contract (API.md).")]
public sealed class FiberPriorityQueue<T>
{
    /// <summary>The shared queue logic, over a heap store.</summary>
    private readonly QueueCore<T> _core;

    /// <summary>Creates an empty queue.</summary>
    /// <param name="maxSize">The most items it holds before <see cref="Put"/> blocks; 0 (the default) for unbounded.</param>
    /// <param name="comparer">Orders the items, smallest first; null (the default) for <see cref="Comparer{T}.Default"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxSize"/> is negative.</exception>
    public FiberPriorityQueue(int maxSize = 0, IComparer<T>? comparer = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxSize);
        _core = new QueueCore<T>(QueueStore<T>.Priority(comparer ?? Comparer<T>.Default), maxSize, "FiberPriorityQueue");
    }

    /// <summary>Creates an empty, unbounded queue ordered by <paramref name="comparer"/>.</summary>
    /// <param name="comparer">Orders the items, smallest first; null for <see cref="Comparer{T}.Default"/>.</param>
    public FiberPriorityQueue(IComparer<T>? comparer)
        : this(0, comparer)
    {
    }

    /// <inheritdoc cref="FiberQueue{T}.Count"/>
    public int Count => _core.Count;

    /// <inheritdoc cref="FiberQueue{T}.IsEmpty"/>
    public bool IsEmpty => _core.IsEmpty;

    /// <inheritdoc cref="FiberQueue{T}.IsFull"/>
    public bool IsFull => _core.IsFull;

    /// <inheritdoc cref="FiberQueue{T}.Put(T)"/>
    public void Put(T item) => _core.Put(item);

    /// <inheritdoc cref="FiberQueue{T}.Get()"/>
    public T Get() => _core.Get();

    /// <inheritdoc cref="FiberQueue{T}.TryGet(out T)"/>
    public bool TryGet(out T item) => _core.TryGet(out item);

    /// <inheritdoc cref="FiberQueue{T}.TaskDone()"/>
    public void TaskDone() => _core.TaskDone();

    /// <inheritdoc cref="FiberQueue{T}.Join()"/>
    public void Join() => _core.Join();

    /// <inheritdoc cref="FiberQueue{T}.PutAsync(T, CancellationToken)"/>
    public ValueTask PutAsync(T item, CancellationToken ct = default) => _core.PutAsync(item, ct);

    /// <inheritdoc cref="FiberQueue{T}.GetAsync(CancellationToken)"/>
    public ValueTask<T> GetAsync(CancellationToken ct = default) => _core.GetAsync(ct);

    /// <summary>The size, unfinished count and waiters, e.g. <c>FiberPriorityQueue&lt;Int32&gt;(3/8 items, 5 unfinished, 0 getting, 0 putting, 1 joining)</c>.</summary>
    /// <returns>A description used in debugger views and deadlock reports.</returns>
    public override string ToString() => _core.ToString();
}
