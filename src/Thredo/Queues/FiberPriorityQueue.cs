using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;

namespace Thredo;

/// <summary>
/// A priority queue between fibers (Curio's <c>PriorityQueue</c>), optionally bounded: <see cref="FiberQueueBase{T}.Get"/> returns
/// the smallest item by the comparer given at construction, and equal items in the order they were put.
/// Otherwise exactly like <see cref="FiberQueue{T}"/>: usable from fibers, plain threads and async code;
/// getters and putters are served in arrival order by direct hand-off (an item put while a getter waits
/// goes to that getter whatever its priority); and <see cref="FiberQueueBase{T}.TaskDone"/> / <see cref="FiberQueueBase{T}.Join"/> track
/// unfinished work.
/// </summary>
/// <typeparam name="T">The item type; with no comparer it must implement <see cref="IComparable{T}"/> or <see cref="IComparable"/>.</typeparam>
[DebuggerDisplay("{ToString(),nq}")]
[SuppressMessage("Naming", "CA1711:Identifiers should not have incorrect suffix", Justification = "The name is fixed by the public API contract (API.md).")]
public sealed class FiberPriorityQueue<T> : FiberQueueBase<T>
{
    /// <summary>Creates an empty queue.</summary>
    /// <param name="maxSize">The most items it holds before <see cref="FiberQueueBase{T}.Put"/> blocks; 0 (the default) for unbounded.</param>
    /// <param name="comparer">Orders the items, smallest first; null (the default) for <see cref="Comparer{T}.Default"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxSize"/> is negative.</exception>
    public FiberPriorityQueue(int maxSize = 0, IComparer<T>? comparer = null)
        : base(QueueStore<T>.Priority(comparer ?? Comparer<T>.Default), maxSize, "FiberPriorityQueue")
    {
    }

    /// <summary>Creates an empty, unbounded queue ordered by <paramref name="comparer"/>.</summary>
    /// <param name="comparer">Orders the items, smallest first; null for <see cref="Comparer{T}.Default"/>.</param>
    public FiberPriorityQueue(IComparer<T>? comparer)
        : this(0, comparer)
    {
    }
}
