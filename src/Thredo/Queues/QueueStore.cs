namespace Thredo;

/// <summary>
/// Where a <see cref="QueueCore{T}"/> keeps its items; the only thing that differs between
/// <see cref="FiberQueue{T}"/>, <see cref="FiberLifoQueue{T}"/> and <see cref="FiberPriorityQueue{T}"/>.
/// Called only under the queue's lock.
/// </summary>
internal abstract class QueueStore<T>
{
    /// <summary>Items held.</summary>
    internal abstract int Count { get; }

    /// <summary>Adds an item.</summary>
    internal abstract void Add(T item);

    /// <summary>Removes and returns the next item in this store's order. Only when <see cref="Count"/> is positive.</summary>
    internal abstract T Take();

    /// <summary>First in, first out.</summary>
    internal static QueueStore<T> Fifo() => new FifoStore();

    /// <summary>Last in, first out.</summary>
    internal static QueueStore<T> Lifo() => new LifoStore();

    /// <summary>Smallest first by <paramref name="comparer"/>; equal items in arrival order.</summary>
    internal static QueueStore<T> Priority(IComparer<T> comparer) => new PriorityStore(comparer);

    private sealed class FifoStore : QueueStore<T>
    {
        private readonly Queue<T> _items = new();
        internal override int Count => _items.Count;
        internal override void Add(T item) => _items.Enqueue(item);
        internal override T Take() => _items.Dequeue();
    }

    private sealed class LifoStore : QueueStore<T>
    {
        private readonly Stack<T> _items = new();
        internal override int Count => _items.Count;
        internal override void Add(T item) => _items.Push(item);
        internal override T Take() => _items.Pop();
    }

    /// <summary>A binary heap keyed by (item, arrival number): the number makes equal items come out FIFO.</summary>
    private sealed class PriorityStore(IComparer<T> comparer) : QueueStore<T>
    {
        private readonly PriorityQueue<T, (T Item, long Arrival)> _items = new(new StableOrder(comparer));
        private long _arrivals;
        internal override int Count => _items.Count;
        internal override void Add(T item) => _items.Enqueue(item, (item, _arrivals++));
        internal override T Take() => _items.Dequeue();
    }

    private sealed class StableOrder(IComparer<T> comparer) : IComparer<(T Item, long Arrival)>
    {
        public int Compare((T Item, long Arrival) x, (T Item, long Arrival) y)
        {
            int byItem = comparer.Compare(x.Item, y.Item);
            return byItem != 0 ? byItem : x.Arrival.CompareTo(y.Arrival);
        }
    }
}
