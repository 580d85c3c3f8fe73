using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Sockets;
using Thredo.IO;
using Thredo.Tests.IO.Sockets;
using Xunit.Abstractions;

namespace Thredo.Tests.Stress;

/// <summary>
/// Hundreds of short scenarios, each driven by a seeded random schedule: fibers yield and sleep at random,
/// are cancelled by main or by a plain thread (<see cref="Fiber.Cancel(bool)"/>), run their blocking
/// operations under <see cref="Fiber.TimeoutAfter(TimeSpan, Action)"/> and
/// <see cref="Fiber.IgnoreAfter(TimeSpan, Action)"/> (nested too), throw from their bodies, and share a
/// <see cref="FiberQueue{T}"/>, a <see cref="FiberEvent"/>, a loopback <see cref="FiberSocket"/> pair or a
/// <see cref="FiberGroup"/> with plain threads that put, get, complete, set, clear and dispose at random
/// instants. After each scenario: no queue item is lost or duplicated (each item put is got once or still
/// queued, and an item whose Put was interrupted or refused by Complete is not queued); socket bytes
/// arrive in order, never more than were sent, and all of them when nothing interfered; an event's
/// waiters all wake after its last Set; a group's failures are exactly its faulted members' exceptions
/// and no member outlives its Join; every fiber has ended, faulted only with the exception its own body
/// threw, and was cancelled only if someone cancelled it; only the interrupting, completion and disposal
/// exceptions the API documents reach the callers; /proc/self/fd holds no descriptor the scenario
/// opened; and the next <see cref="Fiber.Run(Action, FiberOptions?)"/> works. A failure names the
/// scenario's seed; THREDO_FAULT_SEED replays that one scenario.
/// </summary>
[Collection("stress")]
public class RandomFaultTests(ITestOutputHelper output)
{
    private const int Scenarios = 400;
    private const int MaxSocketBytes = 300_000;
    private static readonly TimeSpan HangLimit = TimeSpan.FromSeconds(30);
    private static readonly byte[] SocketData = Net.Data(MaxSocketBytes, seed: 7);

    private enum Kind { Queue, Event, Socket, Group }

    [Fact]
    public void Random_cancellations_timeouts_disposals_and_faults_keep_every_invariant()
    {
        var total = Stopwatch.StartNew();
        int[] seeds;
        if (int.TryParse(Environment.GetEnvironmentVariable("THREDO_FAULT_SEED"), out int replay))
        {
            seeds = [replay];
            output.WriteLine($"replaying scenario seed {replay}");
        }
        else
        {
            int runSeed = Random.Shared.Next();
            var r = new Random(runSeed);
            seeds = [.. Enumerable.Range(0, Scenarios).Select(_ => r.Next())];
            output.WriteLine($"run seed {runSeed}: {Scenarios} scenarios with {K.Options.Schedulers} scheduler(s); " +
                             "a failure names its scenario seed, and THREDO_FAULT_SEED=<seed> replays it");
        }

        foreach (Kind kind in Enum.GetValues<Kind>())
            RunChecked(Enumerable.Range(1, 1000).First(s => Scenario.KindOf(s) == kind), descriptors: null);
        var descriptors = Descriptors().ToHashSet();
        output.WriteLine($"{descriptors.Count} descriptors open after one warm-up scenario of each kind");

        var perKind = new Dictionary<Kind, (int Count, TimeSpan Time, TimeSpan Max)>();
        var seen = new SortedDictionary<string, int>(StringComparer.Ordinal);
        foreach (int seed in seeds)
        {
            var sw = Stopwatch.StartNew();
            Scenario s = RunChecked(seed, descriptors);
            sw.Stop();
            perKind.TryGetValue(s.Kind, out var k);
            perKind[s.Kind] = (k.Count + 1, k.Time + sw.Elapsed, sw.Elapsed > k.Max ? sw.Elapsed : k.Max);
            foreach (var (what, n) in s.Seen.Concat(s.Fibers.Select(f => KeyValuePair.Create($"fibers {f.State}", 1))))
                seen[what] = seen.GetValueOrDefault(what) + n;
        }
        foreach (var (kind, k) in perKind.OrderBy(p => p.Key))
            output.WriteLine($"{kind}: {k.Count} scenarios, {k.Time.TotalSeconds:F1} s, longest {k.Max.TotalMilliseconds:F0} ms");
        output.WriteLine(string.Join(", ", seen.Select(p => $"{p.Key}: {p.Value}")));
        output.WriteLine($"{total.Elapsed.TotalSeconds:F1} s in all; {Descriptors().Count} descriptors open at the end");
    }

    /// <summary>
    /// Runs one scenario and the probe run under a hang watchdog, then compares the open descriptors with
    /// <paramref name="descriptors"/> (and adds to it the ones the runtime opens for itself).
    /// </summary>
    private Scenario RunChecked(int seed, HashSet<string>? descriptors)
    {
        var s = new Scenario(seed);
        Exception? error = null;
        var thread = new Thread(() =>
        {
            try
            {
                s.Run();
                int probe = Fiber.Run(() =>
                {
                    var q = new FiberQueue<int>(maxSize: 1);
                    Fiber f = Fiber.Spawn(() => { Fiber.Yield(); q.Put(41); });
                    int v = q.Get() + 1;
                    f.Join();
                    return v;
                }, K.Options);
                if (probe != 42)
                    s.Violation($"the Fiber.Run after the scenario returned {probe}");
            }
            catch (Exception e)
            {
                error = e;
            }
        })
        { IsBackground = true, Name = $"fault scenario {seed}" };
        thread.Start();
        if (!thread.Join(HangLimit))
            Assert.Fail(s.Describe($"did not end within {HangLimit.TotalSeconds} s (a hang)"));
        if (error is not null)
            Assert.Fail(s.Describe($"threw {error}"));
        if (!s.Violations.IsEmpty)
            Assert.Fail(s.Describe(string.Join(Environment.NewLine, s.Violations)));
        foreach (string line in s.UnexpectedReports())
            output.WriteLine($"seed {seed}: {line}");

        if (descriptors is not null)
        {
            List<string> leaked = NewDescriptors(descriptors);
            List<string> first = leaked;
            for (int settle = 0; settle < 20 && leaked.Count > 0; settle++)
            {
                Thread.Sleep(5);
                leaked = [.. NewDescriptors(descriptors).Intersect(leaked)];
            }
            if (leaked.Count > 0)
                Assert.Fail(s.Describe($"left {leaked.Count} descriptor(s) open:{Environment.NewLine}{string.Join(Environment.NewLine, leaked)}"));
            foreach (string d in first)
                output.WriteLine($"seed {seed}: descriptor {d} was open after the scenario and closed soon after");
        }
        return s;
    }

    /// <summary>
    /// The descriptors open now and not in <paramref name="known"/>, less the files the runtime keeps open
    /// for itself, which join <paramref name="known"/>.
    /// </summary>
    private static List<string> NewDescriptors(HashSet<string> known)
    {
        List<string> opened = [.. Descriptors().Where(d => !known.Contains(d))];
        known.UnionWith(opened.Where(IsRuntimeFile));
        return [.. opened.Where(d => !IsRuntimeFile(d))];
    }

    /// <summary>
    /// The open descriptors of this process, each as "number -> target", less the one that lists them and
    /// any closed while they are listed.
    /// </summary>
    private static List<string> Descriptors()
    {
        string self = $"/proc/{Environment.ProcessId}/fd";
        var all = new List<string>();
        foreach (FileSystemInfo d in new DirectoryInfo("/proc/self/fd").EnumerateFileSystemInfos())
        {
            string? target;
            try { target = d.LinkTarget; }
            catch (IOException) { continue; }
            if (!string.IsNullOrEmpty(target) && target != self)
                all.Add($"{d.Name} -> {target}");
        }
        return all;
    }

    /// <summary>
    /// A file the .NET runtime maps once and keeps open: an assembly, its symbols or a native library it
    /// loads lazily, e.g. System.Diagnostics.StackTrace and the .pdb files the first time an exception's
    /// stack trace is rendered with line numbers. It may read "(deleted)" once a build replaces the file.
    /// Sockets, pipes, eventfds and epoll descriptors never are.
    /// </summary>
    private static bool IsRuntimeFile(string descriptor)
    {
        string target = descriptor[(descriptor.IndexOf(" -> ", StringComparison.Ordinal) + 4)..];
        if (target.EndsWith(" (deleted)", StringComparison.Ordinal))
            target = target[..^" (deleted)".Length];
        return target.StartsWith('/') && (target.EndsWith(".dll", StringComparison.Ordinal) ||
                                           target.EndsWith(".pdb", StringComparison.Ordinal) ||
                                           target.EndsWith(".so", StringComparison.Ordinal));
    }

    /// <summary>An exception thrown by a fiber's own body: the only one a fiber may fault with.</summary>
    private sealed class UserFault(long fiberId) : Exception($"the body of fiber {fiberId} threw")
    {
        public long FiberId { get; } = fiberId;
    }

    /// <summary>One scenario: its seeded choices, its fibers and threads, and what it found wrong.</summary>
    private sealed class Scenario
    {
        private readonly Random _r;   // main's choices (the main fiber, or the scenario thread outside Run)
        private readonly List<Thread> _threads = [];
        private readonly ConcurrentDictionary<long, bool> _mayBeCancelled = new();
        private readonly List<string> _story = [];
        private string _stderr = "";

        public Scenario(int seed)
        {
            Seed = seed;
            _r = new Random(seed);
            Kind = (Kind)_r.Next(Enum.GetValues<Kind>().Length);
        }

        public static Kind KindOf(int seed) => new Scenario(seed).Kind;

        public int Seed { get; }

        public Kind Kind { get; }

        public List<Fiber> Fibers { get; } = [];

        public FiberGroup? Group { get; private set; }

        public ConcurrentQueue<string> Violations { get; } = new();

        public void Violation(string what) => Violations.Enqueue(what);

        /// <summary>How often each fault path was taken, for the summary. Any thread.</summary>
        public ConcurrentDictionary<string, int> Seen { get; } = new();

        public void Saw(string what) => Seen.AddOrUpdate(what, 1, (_, n) => n + 1);

        public string Describe(string what) =>
            $"Scenario seed {Seed} ({Kind}: {string.Join(", ", _story)}; {K.Options.Schedulers} scheduler(s)) {what}" +
            $"{Environment.NewLine}Replay with THREDO_FAULT_SEED={Seed}." +
            (_stderr.Length > 0 ? $"{Environment.NewLine}Standard error of the run:{Environment.NewLine}{_stderr}" : "");

        public void Run()
        {
            switch (Kind)
            {
                case Kind.Queue: QueueScenario(this); break;
                case Kind.Event: EventScenario(this); break;
                case Kind.Socket: SocketScenario(this); break;
                default: GroupScenario(this); break;
            }
            JoinThreads();
            CheckFibers();
        }

        public int Next(int max) => _r.Next(max);

        public int Next(int min, int max) => _r.Next(min, max);

        public bool OneIn(int n) => _r.Next(n) == 0;

        public void Note(string choice) => _story.Add(choice);

        /// <summary>One in how many steps of a fiber throws (0: none), chosen per scenario.</summary>
        public int FaultRate() => OneIn(3) ? 0 : Next(4, 40);

        /// <summary>Runs main as the first fiber with the suite's options, capturing what the runtime reports.</summary>
        public void RunMain(Action main) =>
            _stderr += StderrCapture.Of(() => Fiber.Run(() =>
            {
                main();
                foreach (Fiber f in Fibers)
                    if (!f.IsCompleted)
                        _mayBeCancelled[f.Id] = true;   // Fiber.Run cancels what main leaves running
            }, K.Options));

        /// <summary>Puts the fibers spawned from now on in a group of their own.</summary>
        public FiberGroup UseGroup(GroupWait wait)
        {
            Group = new FiberGroup(wait);
            Note($"group {wait}");
            return Group;
        }

        public Fiber? Spawn(string name, Action<Random> body)
        {
            int seed = _r.Next();
            return Add(name, () => Group is { } g ? g.Spawn(() => body(new Random(seed)), name) : Fiber.Spawn(() => body(new Random(seed)), name));
        }

        public Fiber? SpawnWithResult(string name, Func<Random, object?> body)
        {
            int seed = _r.Next();
            return Add(name, () => Group is { } g ? g.Spawn(() => body(new Random(seed)), name) : Fiber.Spawn(() => body(new Random(seed)), name));
        }

        /// <summary>
        /// Spawns, or notes that the group refused: once a member has failed, the group is cancelling its
        /// members and takes no new ones (InvalidOperationException).
        /// </summary>
        private Fiber? Add(string name, Func<Fiber> spawn)
        {
            try
            {
                Fiber f = spawn();
                Fibers.Add(f);
                return f;
            }
            catch (InvalidOperationException) when (Group is not null && Fibers.Exists(f => f.State == FiberState.Faulted))
            {
                Note($"'{name}' refused: a member had failed");
                return null;
            }
        }

        public Thread StartThread(string name, Action<Random> body)
        {
            int seed = _r.Next();
            var t = new Thread(() =>
            {
                try { body(new Random(seed)); }
                catch (Exception e) { Violation($"plain thread '{name}' threw {e}"); }
            })
            { IsBackground = true, Name = name };
            _threads.Add(t);
            Fiber.RunBlocking(t.Start);   // Thread.Start waits for the thread to run: foreign blocking
            return t;
        }

        public bool ThreadsDone => _threads.TrueForAll(t => !t.IsAlive);

        public void JoinThreads()
        {
            foreach (Thread t in _threads)
                t.Join();
        }

        /// <summary>Cancels <paramref name="f"/>, noting that it may now end cancelled. Any thread.</summary>
        public void Cancel(Fiber f, bool wait)
        {
            _mayBeCancelled[f.Id] = true;
            f.Cancel(wait);
        }

        public void MayAllBeCancelled()
        {
            foreach (Fiber f in Fibers)
                _mayBeCancelled[f.Id] = true;
        }

        /// <summary>Random yields and short sleeps: the schedule.</summary>
        public void Chaos() => Chaos(_r);

        public static void Chaos(Random r)
        {
            switch (r.Next(6))
            {
                case 0:
                case 1: Fiber.Yield(); break;
                case 2: Fiber.Sleep(TimeSpan.Zero); break;
                case 3: Fiber.Sleep(K.Ms(1)); break;
            }
        }

        public static void MaybeFault(Random r, int oneIn)
        {
            if (oneIn > 0 && r.Next(oneIn) == 0)
                throw new UserFault(Fiber.Current.Id);
        }

        /// <summary>Main's random steps while the fibers run: cancellations and the schedule.</summary>
        public void Meddle(int steps, Action<Random>? extra = null)
        {
            for (int step = 0; step < steps; step++)
            {
                switch (_r.Next(6))
                {
                    case 0 when Fibers.Count > 0:
                        Cancel(Fibers[_r.Next(Fibers.Count)], wait: OneIn(2));
                        break;
                    case 1 when extra is not null:
                        extra(_r);
                        break;
                    default:
                        Chaos();
                        break;
                }
            }
        }

        /// <summary>A plain thread that cancels random fibers at random instants.</summary>
        public void StartCanceller()
        {
            Fiber[] targets = [.. Fibers];
            Note("canceller thread");
            StartThread("canceller", r =>
            {
                for (int c = r.Next(1, 6); c > 0; c--)
                {
                    Thread.SpinWait(r.Next(0, 50_000));
                    Cancel(targets[r.Next(targets.Length)], wait: r.Next(4) == 0);
                }
            });
        }

        /// <summary>How main ends: cancel everything, through the group, or leave the rest to Fiber.Run.</summary>
        public void End()
        {
            switch (_r.Next(4))
            {
                case 0:
                    Note("end: cancel each");
                    foreach (Fiber f in Fibers.OrderBy(_ => _r.Next()))
                        Cancel(f, wait: true);
                    break;
                case 1:
                    Note("end: request all, then wait");
                    foreach (Fiber f in Fibers)
                        Cancel(f, wait: false);
                    foreach (Fiber f in Fibers)
                        f.Wait();
                    break;
                case 2 when Group is not null:
                    Note("end: group Cancel");
                    MayAllBeCancelled();
                    Group.Cancel();
                    AfterGroupEnded("Cancel", null);
                    break;
                default:
                    Note("end: leave to Fiber.Run");
                    break;
            }
        }

        /// <summary>Checks what a group's Join, Cancel or Dispose left: no member running, and exactly the faulted members' failures.</summary>
        public void AfterGroupEnded(string how, FiberGroupException? failure)
        {
            Fiber? running = Fibers.Find(f => !f.IsCompleted);
            if (running is not null)
                Violation($"group {how} returned while {running} was still running");
            Exception[] faulted = [.. Fibers.Where(f => f.State == FiberState.Faulted).Select(f => f.Exception!)];
            if (Group is not null)
                SameFailures($"after {how}, the group's Exceptions", Group.Exceptions, faulted);
            if (failure is not null)
                SameFailures($"group {how} threw a FiberGroupException that", failure.InnerExceptions, faulted);
        }

        private void SameFailures(string what, IReadOnlyCollection<Exception> failures, Exception[] faulted)
        {
            if (!failures.ToHashSet().SetEquals(faulted) || failures.Count != faulted.Length)
                Violation($"{what} holds {failures.Count} failure(s) [{string.Join("; ", failures.Select(e => e.Message))}] " +
                          $"for {faulted.Length} faulted member(s) [{string.Join("; ", faulted.Select(e => e.Message))}]");
        }

        /// <summary>Every fiber has ended; faulted only by its own body; cancelled only if someone cancelled it.</summary>
        private void CheckFibers()
        {
            bool groupFaulted = Group is not null && Fibers.Exists(f => f.State == FiberState.Faulted);
            foreach (Fiber f in Fibers)
            {
                switch (f.State)
                {
                    case FiberState.Completed:
                        if (f.Exception is not null)
                            Violation($"{f} completed with exception {f.Exception}");
                        break;
                    case FiberState.Faulted:
                        if (f.Exception is not UserFault u || u.FiberId != f.Id)
                            Violation($"{f} faulted with {f.Exception}");
                        break;
                    case FiberState.Cancelled:
                        if (f.Exception is not FiberCancelledException)
                            Violation($"{f} is cancelled with {f.Exception}");
                        if (!_mayBeCancelled.ContainsKey(f.Id) && !groupFaulted)
                            Violation($"{f} ended cancelled though nobody cancelled it: {f.Exception}");
                        break;
                    default:
                        Violation($"{f} had not ended when Fiber.Run returned");
                        break;
                }
            }
        }

        /// <summary>
        /// Lines the runtime wrote to standard error other than its reports of the faults the bodies threw
        /// on purpose (a fiber outside a group that fails with nobody joining it is reported).
        /// </summary>
        public IEnumerable<string> UnexpectedReports()
        {
            string[] lines = _stderr.Split('\n', StringSplitOptions.TrimEntries);
            for (int i = 0; i < lines.Length; i++)
                if (lines[i].StartsWith("Thredo:", StringComparison.Ordinal) &&
                    !(i + 1 < lines.Length && lines[i + 1].Contains(nameof(UserFault), StringComparison.Ordinal)))
                    yield return lines[i];
        }
    }

    /// <summary>
    /// Fiber producers (Put, TryPut, Put under TimeoutAfter or IgnoreAfter) and consumers (Get, TryGet, Get
    /// under a timeout, GetConsumingEnumerable) share a queue, bounded or not, with a plain producer thread,
    /// a plain consumer thread and main, while fibers are cancelled and throw, and main or a plain thread may
    /// Complete the queue. Each item put is got once or is still queued; a put refused by Complete puts
    /// nothing; a get reports the queue completed only once it is completed and empty.
    /// </summary>
    private static void QueueScenario(Scenario s)
    {
        int maxSize = s.Next(4) switch { 0 => 0, 1 => 1, 2 => 3, _ => 8 };
        int producers = s.Next(1, 5), perProducer = s.Next(1, 12), consumers = s.Next(1, 4);
        int threadItems = s.OneIn(3) ? s.Next(1, 30) : 0;
        bool threadConsumer = s.OneIn(3), canceller = s.OneIn(3), grouped = s.OneIn(2);
        int completeBy = s.Next(4);   // 0, 1: nobody; 2: main; 3: a plain thread
        int faultOneIn = s.FaultRate();
        int fiberItems = producers * perProducer, items = fiberItems + threadItems;
        var put = new int[items];
        var got = new int[items];
        var left = new int[items];
        int completed = 0;
        var q = new FiberQueue<int>(maxSize);
        s.Note($"max size {maxSize}, {producers} producers x {perProducer}, {consumers} consumers, {threadItems} items from a thread, " +
               $"consumer thread {threadConsumer}, Complete by {completeBy switch { 2 => "main", 3 => "a thread", _ => "nobody" }}, faults 1 in {faultOneIn}");

        void Complete()
        {
            Volatile.Write(ref completed, 1);
            q.Complete();
        }

        void CheckCompletedAndEmpty(string how)
        {
            if (Volatile.Read(ref completed) == 0 || !q.IsCompleted || q.Count != 0)
                throw new InvalidOperationException($"{how} ended with Complete called: {Volatile.Read(ref completed) == 1}, " +
                                                    $"IsCompleted {q.IsCompleted}, {q.Count} item(s) left");
            s.Saw($"queue: {how} ended by Complete");
        }

        void Produce(Random r, int first)
        {
            try
            {
                for (int k = 0; k < perProducer; k++)
                {
                    int item = first + k;
                    switch (r.Next(5))
                    {
                        case 0:
                            try { Fiber.TimeoutAfter(K.Ms(r.Next(0, 3)), () => { q.Put(item); Interlocked.Increment(ref put[item]); }); }
                            catch (FiberTimeoutException) { s.Saw("queue: Put timed out"); }
                            break;
                        case 1:
                            if (!Fiber.IgnoreAfter(K.Ms(r.Next(0, 3)), () => { q.Put(item); Interlocked.Increment(ref put[item]); }))
                                s.Saw("queue: Put ignored after");
                            break;
                        case 2:
                            if (q.TryPut(item))
                                Interlocked.Increment(ref put[item]);
                            break;
                        default:
                            q.Put(item);
                            Interlocked.Increment(ref put[item]);
                            break;
                    }
                    Scenario.Chaos(r);
                    Scenario.MaybeFault(r, faultOneIn);
                }
            }
            catch (InvalidOperationException) when (Volatile.Read(ref completed) == 1)
            {
                s.Saw("queue: Put refused by Complete");
            }
        }

        void Consume(Random r)
        {
            try
            {
                while (true)
                {
                    int item = -1;
                    switch (r.Next(5))
                    {
                        case 0:
                            if (!q.TryGet(out item))
                                item = -1;
                            break;
                        case 1:
                            item = Fiber.IgnoreAfter(K.Ms(r.Next(0, 3)), q.Get, -1);
                            break;
                        case 2:
                            try { item = Fiber.TimeoutAfter(K.Ms(r.Next(0, 3)), q.Get); }
                            catch (FiberTimeoutException) { s.Saw("queue: Get timed out"); }
                            break;
                        case 3:
                            foreach (int each in q.GetConsumingEnumerable())
                            {
                                Interlocked.Increment(ref got[each]);
                                q.TaskDone();
                                Scenario.Chaos(r);
                                Scenario.MaybeFault(r, faultOneIn);
                            }
                            CheckCompletedAndEmpty("GetConsumingEnumerable");
                            return;
                        default:
                            item = q.Get();
                            break;
                    }
                    if (item >= 0)
                    {
                        Interlocked.Increment(ref got[item]);
                        q.TaskDone();
                    }
                    Scenario.Chaos(r);
                    Scenario.MaybeFault(r, faultOneIn);
                }
            }
            catch (FiberQueueCompletedException)
            {
                CheckCompletedAndEmpty("Get");
            }
        }

        Thread? producerThread = null, consumerThread = null, completer = null;
        s.RunMain(() =>
        {
            if (grouped)
                s.UseGroup(GroupWait.None);
            var roles = Enumerable.Range(0, producers + consumers).OrderBy(_ => s.Next(1000)).ToList();
            foreach (int role in roles)
            {
                if (role < producers)
                    s.Spawn($"producer {role}", r => Produce(r, role * perProducer));
                else
                    s.Spawn($"consumer {role - producers}", Consume);
                if (s.OneIn(3))
                    s.Chaos();
            }
            if (threadItems > 0)
                producerThread = s.StartThread("producer thread", r =>
                {
                    try
                    {
                        for (int k = 0; k < threadItems; k++)
                        {
                            int item = fiberItems + k;
                            Thread.SpinWait(r.Next(0, 20_000));
                            if (r.Next(3) == 0)
                            {
                                if (q.TryPut(item))
                                    Interlocked.Increment(ref put[item]);
                            }
                            else
                            {
                                q.Put(item);
                                Interlocked.Increment(ref put[item]);
                            }
                        }
                    }
                    catch (InvalidOperationException) when (Volatile.Read(ref completed) == 1)
                    {
                    }
                });
            if (threadConsumer)
                consumerThread = s.StartThread("consumer thread", r =>
                {
                    try
                    {
                        while (true)
                        {
                            int item = q.Get();
                            q.TaskDone();
                            if (item < 0)
                                return;
                            Interlocked.Increment(ref got[item]);
                            Thread.SpinWait(r.Next(0, 5_000));
                        }
                    }
                    catch (FiberQueueCompletedException) when (Volatile.Read(ref completed) == 1 && q.Count == 0)
                    {
                    }
                });
            if (completeBy == 3)
                completer = s.StartThread("completer", r =>
                {
                    Thread.SpinWait(r.Next(0, 100_000));
                    Complete();
                });
            if (canceller)
                s.StartCanceller();
            s.Meddle(s.Next(0, 40), r =>
            {
                if (completeBy == 2 && r.Next(4) == 0)
                {
                    Complete();
                }
                else if (q.TryGet(out int item))
                {
                    Interlocked.Increment(ref got[item]);
                    q.TaskDone();
                }
            });
            s.End();
        });

        completer?.Join();
        while (producerThread is { IsAlive: true })
        {
            while (q.TryGet(out int item))
            {
                left[item]++;
                q.TaskDone();
            }
            Thread.Sleep(1);
        }
        if (consumerThread is not null && Volatile.Read(ref completed) == 0)
            q.Put(-1);
        s.JoinThreads();
        string state = q.ToString();
        if (!state.Contains($"{q.Count} unfinished, 0 getting, 0 putting, 0 joining", StringComparison.Ordinal))
            s.Violation($"the queue is left as {state}");
        if (q.IsCompleted != (Volatile.Read(ref completed) == 1 && q.Count == 0))
            s.Violation($"IsCompleted is {q.IsCompleted} for {state}");
        while (q.TryGet(out int item))
            left[item]++;
        for (int i = 0; i < items; i++)
        {
            if (put[i] > 1)
                s.Violation($"item {i} was put {put[i]} times");
            if (got[i] + left[i] != put[i])
                s.Violation($"item {i}: put {put[i]}, got {got[i]}, left queued {left[i]}");
        }
    }

    /// <summary>
    /// Fibers wait on an event (plainly, under TimeoutAfter, under IgnoreAfter in both forms) while a plain
    /// thread and main set and clear it, fibers are cancelled and throw. A Wait returns only after some Set,
    /// and when the thread ends with a Set, every waiter still running wakes without help.
    /// </summary>
    private static void EventScenario(Scenario s)
    {
        int waiters = s.Next(1, 8);
        bool finalSet = s.OneIn(2), canceller = s.OneIn(3), grouped = s.OneIn(2);
        int faultOneIn = s.FaultRate();
        var ev = new FiberEvent();
        int sets = 0;
        s.Note($"{waiters} waiters, final Set {finalSet}, faults 1 in {faultOneIn}");

        void Wait(Random r)
        {
            for (int round = r.Next(1, 5); round > 0; round--)
            {
                bool woke = true;
                switch (r.Next(4))
                {
                    case 0:
                        try { Fiber.TimeoutAfter(K.Ms(r.Next(0, 3)), ev.Wait); }
                        catch (FiberTimeoutException) { woke = false; s.Saw("event: Wait timed out"); }
                        break;
                    case 1:
                        woke = Fiber.IgnoreAfter(K.Ms(r.Next(0, 3)), ev.Wait);
                        break;
                    case 2:
                        IgnoreScope scope = Fiber.IgnoreAfter(K.Ms(r.Next(0, 3)));
                        try
                        {
                            using (scope)
                                ev.Wait();
                        }
                        catch (FiberTimeoutException e) when (scope.Owns(e))
                        {
                            woke = false;
                        }
                        break;
                    default:
                        ev.Wait();
                        break;
                }
                if (woke && Volatile.Read(ref sets) == 0)
                    throw new InvalidOperationException("FiberEvent.Wait returned, but Set was never called");
                Scenario.Chaos(r);
                Scenario.MaybeFault(r, faultOneIn);
            }
        }

        s.RunMain(() =>
        {
            if (grouped)
                s.UseGroup(GroupWait.None);
            for (int i = 0; i < waiters; i++)
                s.Spawn($"waiter {i}", Wait);
            Thread setter = s.StartThread("setter", r =>
            {
                for (int op = r.Next(1, 8); op > 0; op--)
                {
                    Thread.SpinWait(r.Next(0, 30_000));
                    if (r.Next(3) == 0)
                    {
                        ev.Clear();
                    }
                    else
                    {
                        Interlocked.Increment(ref sets);
                        ev.Set();
                    }
                }
                if (finalSet)
                {
                    Interlocked.Increment(ref sets);
                    ev.Set();
                }
            });
            if (canceller)
                s.StartCanceller();
            s.Meddle(s.Next(0, 30), r =>
            {
                if (r.Next(2) == 0)
                {
                    Interlocked.Increment(ref sets);
                    ev.Set();
                }
                else if (!finalSet)
                {
                    ev.Clear();
                }
            });
            if (finalSet)
            {
                while (setter.IsAlive)
                    Fiber.Sleep(K.Ms(1));
                foreach (Fiber f in s.Fibers)
                    f.Wait();
                if (!ev.IsSet)
                    s.Violation("the event was cleared after its last Set");
                s.Saw("event: every waiter ended after the last Set");
            }
            s.End();
        });

        s.JoinThreads();
        if (!ev.ToString().EndsWith(", 0 waiting)", StringComparison.Ordinal))
            s.Violation($"the event is left as {ev}");
    }

    /// <summary>
    /// A writer fiber sends a known byte stream over loopback (Send, SendAll, SendAll under TimeoutAfter) to a
    /// reader fiber (Receive, Receive under TimeoutAfter or IgnoreAfter) while a plain thread disposes either
    /// end at a random instant, main or a plain thread cancels them, and they throw. The reader gets a
    /// prefix of the stream, all of it when nothing interfered; a socket's own disposal surfaces only as
    /// <see cref="ObjectDisposedException"/>, the peer's only as end of stream or <see cref="SocketException"/>.
    /// </summary>
    private static void SocketScenario(Scenario s)
    {
        int total = s.OneIn(4) ? s.Next(0, 100) : s.Next(1, MaxSocketBytes);
        int dispose = s.Next(4);   // from a plain thread: 0 nothing, 1 the reader's end, 2 the writer's end, 3 both
        bool canceller = s.OneIn(4), grouped = s.OneIn(2), patient = s.OneIn(2);
        int faultOneIn = s.OneIn(2) ? 0 : s.Next(4, 40);
        int clientDisposed = 0, serverDisposed = 0;
        long sentAtLeast = 0, sentAtMost = 0, received = 0;
        s.Note($"{total} bytes, dispose {dispose switch { 0 => "nothing", 1 => "reader's end", 2 => "writer's end", _ => "both" }}, " +
               $"patient {patient}, faults 1 in {faultOneIn}");
        Fiber? writer = null, reader = null;
        bool endedBeforeDisposal = false;

        s.RunMain(() =>
        {
            using FiberSocket listener = Net.Listen();
            FiberSocket client = Net.ConnectTo(listener);
            FiberSocket server = listener.Accept();
            void DisposeClient()
            {
                Volatile.Write(ref clientDisposed, 1);
                client.Dispose();
            }
            void DisposeServer()
            {
                Volatile.Write(ref serverDisposed, 1);
                server.Dispose();
            }

            void Write(Random r)
            {
                long pos = 0;
                int inFlight = 0;
                try
                {
                    while (pos < total)
                    {
                        int at = (int)pos, chunk = (int)Math.Min(total - pos, r.Next(1, 65_536));
                        inFlight = chunk;
                        switch (r.Next(4))
                        {
                            case 0:
                                pos += client.Send(SocketData.AsSpan(at, chunk));
                                break;
                            case 1:
                                client.SendAll(SocketData.AsSpan(at, chunk));
                                pos += chunk;
                                break;
                            default:
                                try
                                {
                                    Fiber.TimeoutAfter(K.Ms(r.Next(0, 3)), () => client.SendAll(SocketData.AsSpan(at, chunk)));
                                    pos += chunk;
                                }
                                catch (IOTimeoutException e)
                                {
                                    pos += e.BytesSent;
                                    s.Saw(e.BytesSent > 0 ? "socket: SendAll timed out part way" : "socket: SendAll timed out");
                                }
                                catch (FiberTimeoutException)
                                {
                                }
                                break;
                        }
                        inFlight = 0;
                        Scenario.Chaos(r);
                        Scenario.MaybeFault(r, faultOneIn);
                    }
                    client.Shutdown(SocketShutdown.Send);
                }
                catch (IOCancelledException e)
                {
                    pos += e.BytesSent;
                    inFlight = 0;
                    throw;
                }
                catch (ObjectDisposedException) when (Volatile.Read(ref clientDisposed) == 1)
                {
                    s.Saw("socket: writer got ObjectDisposedException");
                }
                catch (SocketException e) when (Volatile.Read(ref serverDisposed) == 1)
                {
                    s.Saw($"socket: writer got {e.SocketErrorCode}");
                }
                finally
                {
                    Volatile.Write(ref sentAtLeast, pos);
                    Volatile.Write(ref sentAtMost, pos + inFlight);
                }
            }

            void Read(Random r)
            {
                var buffer = new byte[r.Next(1, 65_536)];
                long pos = 0;
                try
                {
                    while (true)
                    {
                        int n;
                        switch (r.Next(4))
                        {
                            case 0:
                                try { n = Fiber.TimeoutAfter(K.Ms(r.Next(0, 3)), () => server.Receive(buffer)); }
                                catch (FiberTimeoutException) { continue; }
                                break;
                            case 1:
                                n = Fiber.IgnoreAfter(K.Ms(r.Next(0, 3)), () => server.Receive(buffer), -1);
                                if (n < 0)
                                    continue;
                                break;
                            default:
                                n = server.Receive(buffer);
                                break;
                        }
                        if (n == 0)
                        {
                            s.Saw("socket: reader got end of stream");
                            return;
                        }
                        if (pos + n > total || !buffer.AsSpan(0, n).SequenceEqual(SocketData.AsSpan((int)pos, n)))
                            throw new InvalidDataException($"bytes {pos}..{pos + n} received are not the ones sent there ({total} in all)");
                        pos += n;
                        Scenario.Chaos(r);
                        Scenario.MaybeFault(r, faultOneIn);
                    }
                }
                catch (ObjectDisposedException) when (Volatile.Read(ref serverDisposed) == 1)
                {
                    s.Saw("socket: reader got ObjectDisposedException");
                }
                catch (SocketException e) when (Volatile.Read(ref clientDisposed) == 1)
                {
                    s.Saw($"socket: reader got {e.SocketErrorCode}");
                }
                finally
                {
                    Volatile.Write(ref received, pos);
                }
            }

            try
            {
                if (grouped)
                    s.UseGroup(GroupWait.None);
                if (s.OneIn(2))
                {
                    writer = s.Spawn("writer", Write);
                    reader = s.Spawn("reader", Read);
                }
                else
                {
                    reader = s.Spawn("reader", Read);
                    writer = s.Spawn("writer", Write);
                }
                if (dispose > 0)
                    s.StartThread("disposer", r =>
                    {
                        Thread.SpinWait(r.Next(0, 200_000));
                        if (dispose != 2)
                            DisposeServer();
                        if (dispose != 1)
                            DisposeClient();
                    });
                if (canceller)
                    s.StartCanceller();
                s.Meddle(s.Next(0, 6));
                if (patient)
                {
                    while (writer is { IsCompleted: false })
                    {
                        if (reader is null or { IsCompleted: true })
                            s.Cancel(writer, wait: true);
                        else
                            Fiber.Sleep(K.Ms(1));
                    }
                    if (writer is not { State: FiberState.Completed })
                    {
                        try { client.Shutdown(SocketShutdown.Send); }
                        catch (ObjectDisposedException) when (Volatile.Read(ref clientDisposed) == 1) { }
                        catch (SocketException) when (Volatile.Read(ref serverDisposed) == 1) { }
                    }
                    while (reader is { IsCompleted: false })
                        Fiber.Sleep(K.Ms(1));
                }
                s.End();
            }
            finally
            {
                endedBeforeDisposal = writer is { IsCompleted: true } && reader is { IsCompleted: true };
                DisposeClient();
                DisposeServer();
            }
        });

        long sentMax = Volatile.Read(ref sentAtMost), got = Volatile.Read(ref received);
        if (got > sentMax)
            s.Violation($"{got} bytes received, at most {sentMax} sent");
        bool untouched = dispose == 0 && endedBeforeDisposal && !s.Fibers.Exists(f => f.State != FiberState.Completed);
        if (untouched && (got != total || Volatile.Read(ref sentAtLeast) != total))
            s.Violation($"nothing interfered, yet {Volatile.Read(ref sentAtLeast)} bytes were sent and {got} received of {total}");
        if (untouched)
            s.Saw("socket: whole stream delivered");
    }

    /// <summary>
    /// A group of each policy whose members sleep, yield, defer cancellation, nest an IgnoreAfter around a
    /// TimeoutAfter, and throw (also from inside a timeout's delegate), while main cancels some, then joins
    /// (plainly, under a timeout, after taking every member with NextDone or NextResult, or after
    /// CancelRemaining), cancels, disposes or abandons the group. A delivered timeout belongs to the
    /// outermost expired scope; NextDone returns each member once, ended; after Join, Cancel, Dispose or
    /// CancelRemaining no member runs; a Join that returns means no member faulted; the failures Join throws
    /// and the group's Exceptions are exactly the faulted members' exceptions; an Any or Object group has a
    /// winner exactly when some member qualifies.
    /// </summary>
    private static void GroupScenario(Scenario s)
    {
        var policy = (GroupWait)s.Next(4);
        int members = s.Next(1, 8);
        int faultOneIn = s.FaultRate();
        s.Note($"{members} members, faults 1 in {faultOneIn}");

        object? Member(Random r)
        {
            for (int step = r.Next(0, 6); step > 0; step--)
            {
                switch (r.Next(6))
                {
                    case 0:
                        Fiber.Sleep(K.Ms(r.Next(0, 3)));
                        break;
                    case 1:
                        NestedTimeouts(s, r);
                        break;
                    case 2:
                        using (Fiber.DisableCancellation())
                            Fiber.Sleep(K.Ms(r.Next(0, 2)));
                        break;
                    case 3:
                        Fiber.IgnoreAfter(K.Ms(r.Next(0, 3)), () =>
                        {
                            Fiber.Yield();
                            Scenario.MaybeFault(r, faultOneIn / 2);
                        });
                        break;
                    default:
                        Scenario.Chaos(r);
                        break;
                }
                Scenario.MaybeFault(r, faultOneIn);
            }
            return r.Next(2) == 0 ? null : "result";
        }

        s.RunMain(() =>
        {
            FiberGroup g = s.UseGroup(policy);
            for (int i = 0; i < members && s.SpawnWithResult($"member {i}", Member) is not null; i++)
            {
                if (s.OneIn(3))
                    s.Chaos();
            }
            s.Meddle(s.Next(0, 10));
            if (policy != GroupWait.All)
                s.MayAllBeCancelled();   // the policy cancels the losers, or everything left
            string how = "";
            bool joined = false, winnerPicked = true;
            try
            {
                switch (s.Next(8))
                {
                    case 0:
                        how = "Join";
                        g.Join();
                        joined = true;
                        break;
                    case 1:
                        how = "Join under TimeoutAfter";
                        try
                        {
                            Fiber.TimeoutAfter(K.Ms(s.Next(0, 5)), g.Join);
                            joined = true;
                        }
                        catch (FiberTimeoutException)
                        {
                            how += " (expired)";
                            s.MayAllBeCancelled();
                        }
                        break;
                    case 2:
                        how = "Join under IgnoreAfter";
                        joined = Fiber.IgnoreAfter(K.Ms(s.Next(0, 5)), g.Join);
                        if (!joined)
                        {
                            how += " (expired)";
                            s.MayAllBeCancelled();
                        }
                        break;
                    case 3:
                        how = "Cancel";
                        s.MayAllBeCancelled();
                        g.Cancel();
                        break;
                    case 4:
                        how = "Dispose";
                        g.Dispose();
                        break;
                    case 5:
                        how = "NextDone until null, then Join";
                        TakeInCompletionOrder();
                        g.Join();
                        joined = true;
                        winnerPicked = false;   // NextDone took every member first, so Join saw none finish
                        break;
                    case 6:
                        how = "CancelRemaining, then Join";
                        s.MayAllBeCancelled();
                        g.CancelRemaining();
                        if (s.Fibers.Find(f => !f.IsCompleted) is Fiber running)
                            s.Violation($"CancelRemaining returned while {running} was still running");
                        g.Join();
                        joined = true;
                        break;
                    default:
                        s.Note("end: leave to Fiber.Run");
                        return;
                }
                s.Note($"end: {how}");
                s.AfterGroupEnded(how, null);
                if (joined)
                {
                    if (s.Fibers.Find(f => f.State == FiberState.Faulted) is Fiber faulted)
                        s.Violation($"group {how} returned normally although {faulted} faulted: {faulted.Exception}");
                    CheckWinner();
                }
            }
            catch (FiberGroupException e)
            {
                s.Note($"end: {how} threw");
                s.Saw("group: FiberGroupException");
                s.AfterGroupEnded(how, e);
                if (e.InnerExceptions.Count == 0)
                    s.Violation($"group {how} threw a FiberGroupException without failures");
            }

            void TakeInCompletionOrder()
            {
                var taken = new List<Fiber>();
                bool byResult = s.OneIn(2);
                for (int i = 0; i < s.Fibers.Count; i++)
                {
                    if (!byResult)
                    {
                        if (g.NextDone() is Fiber f)
                            taken.Add(f);
                        continue;
                    }
                    try
                    {
                        if (g.NextResult() is not (null or "result") and var odd)
                            s.Violation($"NextResult returned {odd}");
                    }
                    catch (FiberFailedException e) when (e.InnerException is UserFault or FiberCancelledException)
                    {
                    }
                }
                if (g.NextDone() is Fiber extra)
                    s.Violation($"NextDone returned {extra} after every member had been taken");
                if (byResult)
                    return;
                if (taken.Count != s.Fibers.Count || !taken.ToHashSet().SetEquals(s.Fibers))
                    s.Violation($"NextDone returned [{string.Join(", ", taken)}] for the members [{string.Join(", ", s.Fibers)}]");
                if (taken.Find(f => !f.IsCompleted) is Fiber early)
                    s.Violation($"NextDone returned {early} before it ended");
            }

            void CheckWinner()
            {
                if (winnerPicked && policy is GroupWait.Any or GroupWait.Object)
                {
                    bool someWon = s.Fibers.Exists(f => f.State == FiberState.Completed &&
                                                        (policy == GroupWait.Any || ((Fiber<object?>)f).Result is not null));
                    if ((g.Completed is not null) != someWon)
                        s.Violation($"the {policy} group's winner is {g.Completed?.ToString() ?? "none"}, though a member that qualifies {(someWon ? "exists" : "does not exist")}");
                    if (g.Completed is { State: not FiberState.Completed } w)
                        s.Violation($"the {policy} group's winner {w} did not complete");
                }
            }
        });
    }

    /// <summary>
    /// An IgnoreAfter around a TimeoutAfter around a long sleep. The outer scope owns the timeout whenever
    /// it expired first (its delay is shorter), whichever timer the kernel fires first.
    /// </summary>
    private static void NestedTimeouts(Scenario s, Random r)
    {
        int outer = r.Next(1, 4);
        int inner = r.Next(2) == 0 ? outer + r.Next(1, 4) : r.Next(1, 4);
        IgnoreScope scope = Fiber.IgnoreAfter(K.Ms(outer));
        string outcome;
        try
        {
            using (scope)
            {
                try
                {
                    Fiber.TimeoutAfter(K.Ms(inner), () => Fiber.Sleep(TimeSpan.FromSeconds(5)));
                    outcome = "slept";
                }
                catch (FiberTimeoutException e) when (!scope.Owns(e))
                {
                    outcome = "inner";
                }
            }
        }
        catch (FiberTimeoutException e) when (scope.Owns(e))
        {
            outcome = "outer";
        }
        s.Saw($"nested timeouts: {outcome} owned it");
        if (outcome == "slept")
            throw new InvalidOperationException($"a 5 s sleep inside timeouts of {outer} ms and {inner} ms ran to its end");
        if (outcome == "inner" && inner > outer)
            throw new InvalidOperationException($"the inner timeout ({inner} ms) was delivered although the outer one ({outer} ms), which encloses it, expired first");
    }
}
