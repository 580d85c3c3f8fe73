namespace Thredo;

/// <summary>
/// Where a <see cref="FiberQueueBase{T}"/> keeps its items; the only thing that differs between
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

    /// <summary>
    /// A binary min-heap keyed by (item, arrival number): the number makes equal items come out FIFO.
    /// Exception-safe: <see cref="Add"/> and <see cref="Take"/> make every comparison before they move
    /// anything, so a comparer that throws leaves the heap exactly as it was. (<see cref="PriorityQueue{TElement, TPriority}"/>
    /// is not: a throwing comparer leaves it with its size already grown and a default entry in the new slot.)
    /// </summary>
    private sealed class PriorityStore(IComparer<T> comparer) : QueueStore<T>
    {
        private (T Item, long Arrival)[] _heap = new (T, long)[8];
        private int _count;
        private long _arrivals;

        internal override int Count => _count;

        internal override void Add(T item)
        {
            var entry = (item, _arrivals);
            int slot = _count;   // where the new entry settles: found with comparisons only
            while (slot > 0 && Less(entry, _heap[(slot - 1) / 2]))
                slot = (slot - 1) / 2;
            if (_count == _heap.Length)
                Array.Resize(ref _heap, _count * 2);
            for (int hole = _count; hole > slot; hole = (hole - 1) / 2)
                _heap[hole] = _heap[(hole - 1) / 2];
            _heap[slot] = entry;
            _count++;
            _arrivals++;
        }

        internal override T Take()
        {
            T top = _heap[0].Item;
            int last = _count - 1;
            var moving = _heap[last];
            Span<int> path = stackalloc int[32];   // the children that move up: found with comparisons only
            int depth = 0;
            for (int i = 0; ;)
            {
                int child = 2 * i + 1;
                if (child >= last)
                    break;
                if (child + 1 < last && Less(_heap[child + 1], _heap[child]))
                    child++;
                if (!Less(_heap[child], moving))
                    break;
                path[depth++] = i = child;
            }
            int hole = 0;
            foreach (int child in path[..depth])
            {
                _heap[hole] = _heap[child];
                hole = child;
            }
            _heap[hole] = moving;
            _heap[last] = default;   // don't keep the item alive
            _count--;
            return top;
        }

        private bool Less((T Item, long Arrival) x, (T Item, long Arrival) y)
        {
            int byItem = comparer.Compare(x.Item, y.Item);
            return byItem != 0 ? byItem < 0 : x.Arrival < y.Arrival;
        }
    }
}
