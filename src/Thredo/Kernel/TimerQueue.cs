using System.Diagnostics;

namespace Thredo.Kernel;

/// <summary>A pending timer: fires <see cref="Callback"/> once its <see cref="Deadline"/> has passed.</summary>
internal sealed class TimerEntry
{
    /// <summary>When it fires, in <see cref="Clock"/> ticks.</summary>
    internal long Deadline;

    /// <summary>Position in the heap, or -1 when not queued.</summary>
    internal int Index = -1;

    /// <summary>Runs on the baton holder, outside the runtime lock.</summary>
    internal required Action<object?> Callback;

    /// <summary>The callback's argument.</summary>
    internal object? State;
}

/// <summary>
/// A binary min-heap of <see cref="TimerEntry"/> by deadline. Cancelled timers are removed at once
/// (O(log n) through each entry's index), never left to rot until their deadline.
/// Guarded by the runtime lock.
/// </summary>
internal sealed class TimerQueue
{
    private TimerEntry[] _heap = new TimerEntry[16];

    /// <summary>Number of pending timers.</summary>
    internal int Count { get; private set; }

    /// <summary>The earliest deadline, or null if none is pending.</summary>
    internal long? NextDeadline => Count > 0 ? _heap[0].Deadline : null;

    /// <summary>Queues <paramref name="entry"/>.</summary>
    internal void Add(TimerEntry entry)
    {
        Debug.Assert(entry.Index < 0, "timer queued twice");
        if (Count == _heap.Length)
            Array.Resize(ref _heap, Count * 2);
        _heap[Count] = entry;
        entry.Index = Count++;
        SiftUp(entry.Index);
    }

    /// <summary>Removes <paramref name="entry"/> if queued; returns whether it was.</summary>
    internal bool Remove(TimerEntry entry)
    {
        int i = entry.Index;
        if (i < 0)
            return false;
        Debug.Assert(_heap[i] == entry);
        entry.Index = -1;
        Count--;
        if (i != Count)
        {
            _heap[i] = _heap[Count];
            _heap[i].Index = i;
            SiftDown(i);
            SiftUp(i);
        }
        _heap[Count] = null!;
        return true;
    }

    /// <summary>Removes and returns the earliest timer if its deadline is at or before <paramref name="now"/>.</summary>
    internal TimerEntry? TakeExpired(long now)
    {
        if (Count == 0 || _heap[0].Deadline > now)
            return null;
        TimerEntry first = _heap[0];
        Remove(first);
        return first;
    }

    private void SiftUp(int i)
    {
        while (i > 0)
        {
            int parent = (i - 1) / 2;
            if (_heap[parent].Deadline <= _heap[i].Deadline)
                break;
            Swap(i, parent);
            i = parent;
        }
    }

    private void SiftDown(int i)
    {
        while (true)
        {
            int left = 2 * i + 1, smallest = i;
            if (left < Count && _heap[left].Deadline < _heap[smallest].Deadline) smallest = left;
            if (left + 1 < Count && _heap[left + 1].Deadline < _heap[smallest].Deadline) smallest = left + 1;
            if (smallest == i)
                return;
            Swap(i, smallest);
            i = smallest;
        }
    }

    private void Swap(int a, int b)
    {
        (_heap[a], _heap[b]) = (_heap[b], _heap[a]);
        _heap[a].Index = a;
        _heap[b].Index = b;
    }
}
