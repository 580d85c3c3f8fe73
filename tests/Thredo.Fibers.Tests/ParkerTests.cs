using System.Diagnostics;
using System.Runtime;

namespace Thredo.Fibers.Tests;

/// <summary>The parker's permit and the baton switch between two managed threads (<c>thredo_parker_*</c>, <c>thredo_baton_switch</c>).</summary>
public sealed class ParkerTests
{
    private const long Ms = 1_000_000;

    [Fact]
    public void Wake_before_wait_is_not_lost()
    {
        using ParkerHandle parker = ParkerHandle.Create();
        parker.Wake();
        var watch = Stopwatch.StartNew();
        Assert.True(parker.Wait(5_000 * Ms), "the permit given before the wait was lost");
        Assert.True(watch.ElapsedMilliseconds < 1_000, $"the wait slept {watch.ElapsedMilliseconds} ms on a permit it already had");
    }

    [Fact]
    public void Permit_is_one_so_two_wakes_satisfy_one_wait()
    {
        using ParkerHandle parker = ParkerHandle.Create();
        parker.Wake();
        parker.Wake();
        Assert.True(parker.Wait(1_000 * Ms));
        Assert.False(parker.Wait(20 * Ms), "a second wait consumed a second permit; the parker holds at most one");
    }

    [Fact]
    public void Timed_wait_without_a_wake_returns_false_after_the_timeout()
    {
        using ParkerHandle parker = ParkerHandle.Create();
        var watch = Stopwatch.StartNew();
        Assert.False(parker.Wait(50 * Ms));
        Assert.True(watch.ElapsedMilliseconds >= 40, $"a 50 ms wait returned after {watch.ElapsedMilliseconds} ms");
    }

    [Fact]
    public void Zero_timeout_wait_polls_the_permit()
    {
        using ParkerHandle parker = ParkerHandle.Create(spin: 100);
        Assert.False(parker.Wait(0));
        parker.Wake();
        Assert.True(parker.Wait(0));
    }

    [Fact]
    public void Wake_from_another_thread_ends_a_sleeping_wait()
    {
        using ParkerHandle parker = ParkerHandle.Create();
        var waker = new Thread(() => { Thread.Sleep(50); parker.Wake(); }) { IsBackground = true };
        waker.Start();
        var watch = Stopwatch.StartNew();
        Assert.True(parker.Wait(10_000 * Ms), "the wake from another thread did not end the wait");
        Assert.True(watch.ElapsedMilliseconds < 5_000);
        waker.Join();
    }

    /// <summary>
    /// Two managed threads hand one baton back and forth with <c>thredo_baton_switch</c>, 100k
    /// hand-offs in all, with a forced compacting GC every few hundred. Strict alternation is
    /// checked through a counter only the holder touches and an "inside" flag that must never be
    /// seen set by the other side; each side checks its object graph's identity and contents
    /// after every hand-off (a parked thread is an ordinary OS thread, so the GC sees and updates
    /// its stack: this is the property managed fibers rest on).
    /// </summary>
    [Fact]
    public void Baton_ping_pong_alternates_strictly_and_keeps_object_graphs_across_compacting_GCs()
    {
        const int HandOffs = 100_000;
        const int Rounds = HandOffs / 2;
        const int GcEvery = 301;                  // odd, so both sides collect

        using ParkerHandle a = ParkerHandle.Create();
        using ParkerHandle b = ParkerHandle.Create();
        var state = new BatonState();

        void Side(bool isA)
        {
            ParkerHandle self = isA ? a : b, other = isA ? b : a;
            object[] graph = Graph.Build(isA ? "A" : "B");
            var weak = new WeakReference(graph);
            object firstElement = graph[0];
            try
            {
                if (!isA)
                    self.Wait();                       // B starts without the baton
                for (int round = 0; round < Rounds && !state.Failed; round++)
                {
                    Assert.True(Interlocked.Exchange(ref state.Inside, 1) == 0, "both threads ran at once");
                    long expected = 2L * round + (isA ? 0 : 1);
                    long seen = Volatile.Read(ref state.Counter);
                    Assert.True(seen == expected, $"{(isA ? "A" : "B")} round {round}: counter {seen}, expected {expected}");
                    Volatile.Write(ref state.Counter, seen + 1);

                    Assert.True(ReferenceEquals(weak.Target, graph), "the graph's identity changed");
                    Assert.True(ReferenceEquals(graph[0], firstElement), "an element's identity changed");
                    Graph.Check(graph, isA ? "A" : "B");
                    graph[^1] = new byte[64 + round % 512];   // garbage, so the heap has holes to compact
                    if (seen % GcEvery == 0)
                    {
                        GCSettings.LargeObjectHeapCompactionMode = GCLargeObjectHeapCompactionMode.CompactOnce;
                        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
                        Interlocked.Increment(ref state.Collections);
                    }

                    Volatile.Write(ref state.Inside, 0);
                    bool last = !isA && round == Rounds - 1;
                    if (last)
                        other.Wake();                  // B's last hand-off: give the baton back and end
                    else
                        self.SwitchTo(other);
                    Interlocked.Increment(ref state.HandOffs);
                }
                Graph.Check(graph, isA ? "A" : "B");
            }
            catch (Exception e)
            {
                state.Fail(e);
                other.Wake();                          // let the other side see the failure instead of sleeping forever
            }
        }

        var threadA = new Thread(() => Side(isA: true)) { IsBackground = true, Name = "baton A" };
        var threadB = new Thread(() => Side(isA: false)) { IsBackground = true, Name = "baton B" };
        threadB.Start();
        threadA.Start();
        bool joined = threadA.Join(TimeSpan.FromMinutes(2)) & threadB.Join(TimeSpan.FromSeconds(10));

        Assert.Null(state.Error);
        Assert.True(joined, $"the ping-pong hung after {Volatile.Read(ref state.HandOffs)} hand-offs (counter {Volatile.Read(ref state.Counter)})");
        Assert.Equal(HandOffs, state.Counter);
        Assert.Equal(HandOffs, state.HandOffs);
        Assert.True(state.Collections >= HandOffs / GcEvery - 1, $"only {state.Collections} compacting collections ran");
    }

    private sealed class BatonState
    {
        public long Counter;
        public int Inside;
        public long HandOffs;
        public int Collections;
        public volatile bool Failed;
        public Exception? Error;

        public void Fail(Exception e)
        {
            Interlocked.CompareExchange(ref Error, e, null);
            Failed = true;
        }
    }

    /// <summary>An object graph with contents derivable from its owner's name, to check after moves.</summary>
    private static class Graph
    {
        private const int Size = 48;

        public static object[] Build(string owner)
        {
            var graph = new object[Size + 1];
            for (int i = 0; i < Size; i++)
            {
                graph[i] = (i % 4) switch
                {
                    0 => $"{owner}-{i}",
                    1 => Enumerable.Range(0, 16).Select(k => i * 1000 + k).ToArray(),
                    2 => (long)i * 7919,
                    _ => new object[] { $"{owner}-inner-{i}", new int[] { i, -i } },
                };
            }
            return graph;
        }

        public static void Check(object[] graph, string owner)
        {
            for (int i = 0; i < Size; i++)
            {
                bool ok = (i % 4) switch
                {
                    0 => graph[i] is string s && s == $"{owner}-{i}",
                    1 => graph[i] is int[] xs && xs.Length == 16 && xs.Select((x, k) => x == i * 1000 + k).All(t => t),
                    2 => graph[i] is long l && l == (long)i * 7919,
                    _ => graph[i] is object[] { Length: 2 } inner && inner[0] is string s2 && s2 == $"{owner}-inner-{i}"
                         && inner[1] is int[] { Length: 2 } pair && pair[0] == i && pair[1] == -i,
                };
                if (!ok)
                    Assert.Fail($"graph {owner}[{i}] holds {graph[i]} ({graph[i]?.GetType().Name ?? "null"}), not what was stored");
            }
        }
    }
}
