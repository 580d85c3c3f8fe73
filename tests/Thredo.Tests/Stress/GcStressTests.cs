using System.Diagnostics;
using System.Runtime.CompilerServices;
using Xunit.Abstractions;

namespace Thredo.Tests.Stress;

/// <summary>
/// A compacting full GC runs from a fiber every few hundred switches while other fibers hold object
/// graphs across blocking operations (queue ping-pong, sleeps, lock hand-offs) and churn garbage so
/// the graphs move. After every switch each fiber checks its graphs' identity (the same reference as
/// the list main keeps, and as a ConditionalWeakTable keyed by reference knows) and contents.
/// </summary>
[Collection("stress")]
public class GcStressTests(ITestOutputHelper output)
{
    private const int Pairs = 8, Sleepers = 16, Lockers = 16, OpsPerFiber = 400, SwitchesPerGc = 300;

    private sealed class Node
    {
        public int Id;
        public int[] Payload = [];
        public Node? Left, Right;
        public string Label = "";
    }

    private sealed class Tag(int graph) { public readonly int Graph = graph; }

    private static Node Build(Random r, int depth, ref int nextId)
    {
        var n = new Node { Id = nextId++, Payload = Enumerable.Range(0, r.Next(1, 64)).Select(_ => r.Next()).ToArray() };
        n.Label = $"node {n.Id}";
        if (depth > 0)
        {
            n.Left = Build(r, depth - 1, ref nextId);
            n.Right = Build(r, depth - 1, ref nextId);
        }
        return n;
    }

    private static long Checksum(Node? n) =>
        n is null ? 17 : HashCode.Combine(n.Id, n.Payload.Aggregate(0L, (a, x) => a * 31 + x), n.Label, Checksum(n.Left), Checksum(n.Right));

    [Fact]
    public void Compacting_collections_between_switches_keep_every_graph_identical_and_intact()
    {
        int seed = StressRun.Seed(output, "gc stress");
        var r = new Random(seed);
        int graphs = 2 * Pairs + Sleepers + Lockers, nextId = 0;
        var kept = new List<Node>();                         // main's references
        var sums = new List<long>();
        var tags = new ConditionalWeakTable<Node, Tag>();     // keyed by reference: survives only if identity does
        for (int g = 0; g < graphs; g++)
        {
            Node root = Build(r, depth: 5, ref nextId);
            kept.Add(root);
            sums.Add(Checksum(root));
            tags.Add(root, new Tag(g));
        }
        long switches = 0, checks = 0;
        int collections = 0, gen2Before = GC.CollectionCount(2);
        var sw = Stopwatch.StartNew();

        void Check(Node held, int g)
        {
            Assert.Same(kept[g], held);
            Assert.True(tags.TryGetValue(held, out Tag? tag) && tag.Graph == g, $"graph {g} lost its identity");
            Assert.Equal(sums[g], Checksum(held));
            Interlocked.Increment(ref checks);
        }

        void Switched(Random churn)
        {
            Interlocked.Increment(ref switches);
            for (int i = churn.Next(4); i > 0; i--)
                GC.KeepAlive(new byte[churn.Next(16, 4096)]);   // garbage between the graphs, so compaction moves them
        }

        Fiber.Run(() =>
        {
            var workers = new List<Fiber>();
            var done = new FiberEvent();
            for (int p = 0; p < Pairs; p++)
            {
                int ga = 2 * p, gb = 2 * p + 1, fs = r.Next();
                var there = new FiberQueue<Node>(maxSize: 1);
                var back = new FiberQueue<Node>(maxSize: 1);
                workers.Add(Fiber.Spawn(() =>
                {
                    var churn = new Random(fs);
                    Node mine = kept[ga], other = kept[gb];   // 'other' only stays on this fiber's stack
                    for (int i = 0; i < OpsPerFiber; i++)
                    {
                        there.Put(mine);
                        Switched(churn);
                        mine = back.Get();
                        Switched(churn);
                        Check(mine, ga);
                        Check(other, gb);
                    }
                    there.Put(null!);
                }, $"ping {p}"));
                workers.Add(Fiber.Spawn(() =>
                {
                    var churn = new Random(fs + 1);
                    while (there.Get() is Node n)
                    {
                        Switched(churn);
                        Check(n, ga);
                        back.Put(n);
                    }
                }, $"pong {p}"));
            }
            for (int s = 0; s < Sleepers; s++)
            {
                int g = 2 * Pairs + s, fs = r.Next();
                workers.Add(Fiber.Spawn(() =>
                {
                    var churn = new Random(fs);
                    Node mine = kept[g];
                    for (int i = 0; i < OpsPerFiber; i++)
                    {
                        if (churn.Next(3) == 0) Fiber.Sleep(K.Ms(churn.Next(0, 2))); else Fiber.Yield();
                        Switched(churn);
                        Check(mine, g);
                    }
                }, $"sleeper {s}"));
            }
            var lk = new FiberLock();
            for (int l = 0; l < Lockers; l++)
            {
                int g = 2 * Pairs + Sleepers + l, fs = r.Next();
                workers.Add(Fiber.Spawn(() =>
                {
                    var churn = new Random(fs);
                    Node mine = kept[g];
                    for (int i = 0; i < OpsPerFiber; i++)
                    {
                        using (lk.Acquire())
                        {
                            Switched(churn);
                            Check(mine, g);
                            Fiber.Yield();   // the others queue up: the lock is handed over on release
                            Switched(churn);
                            Check(mine, g);
                        }
                    }
                }, $"locker {l}"));
            }
            var collector = Fiber.Spawn(() =>
            {
                long last = 0;
                while (!done.IsSet)
                {
                    long now = Interlocked.Read(ref switches);
                    if (now - last >= SwitchesPerGc)
                    {
                        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
                        collections++;
                        last = now;
                    }
                    Fiber.Yield();
                }
            }, "collector");
            foreach (Fiber w in workers) w.Join();
            done.Set();
            collector.Join();
        }, StressRun.Options());

        output.WriteLine($"{sw.Elapsed.TotalSeconds:F1} s; {switches} switches, {checks} checks, {collections} compacting collections " +
                         $"({GC.CollectionCount(2) - gen2Before} gen2 in all)");
        Assert.True(collections >= switches / SwitchesPerGc / 2, "the collector should have run every few hundred switches");
        for (int g = 0; g < graphs; g++)
            Assert.Equal(sums[g], Checksum(kept[g]));
    }
}
