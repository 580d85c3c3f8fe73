using System.Diagnostics;
using System.Globalization;
using Thredo.Examples.CLibraries;

namespace Thredo.Examples;

/// <summary>
/// Unmodified libpq, 200 sessions at once on native fibers of one kernel thread, against a PostgreSQL server
/// started for the run (<see cref="PostgresServer"/>: a temporary directory, a Unix socket, stopped and removed
/// at the end whatever happens). Each session connects (<c>PQconnectdb</c>), runs <c>SELECT pg_sleep(0.2)</c>
/// and a query over a table the example created (<c>PQexec</c>), and every result is checked. All the calls
/// are native fibers started from one managed fiber, so the sessions need no thread each.
/// </summary>
internal sealed class PostgresManyExample : Example
{
    private const int Rows = 10_000;

    public override string Name => "postgres-many";

    public override string Description => "200 concurrent libpq sessions (pg_sleep + a real query) on one kernel thread; --sessions N";

    public override int Order => 56;

    public override int Run(string[] args)
    {
        int sessions = 200;
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--sessions": sessions = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                default:
                    Console.Error.WriteLine($"postgres-many: unknown option '{args[i]}' (use --sessions N)");
                    return 2;
            }
        }
        LibPq pq;
        try
        {
            pq = LibPq.Instance;
        }
        catch (DllNotFoundException e)
        {
            Console.Error.WriteLine($"postgres-many: {e.Message} (Debian: apt-get install libpq5)");
            return 1;
        }
        var startup = Stopwatch.StartNew();
        using PostgresServer server = PostgresServer.Start(maxConnections: sessions + 10);
        Console.WriteLine($"postgres-many: PostgreSQL started in {startup.Elapsed.TotalSeconds:F1} s (socket in {server.Directory}); {sessions} sessions on one kernel thread");
        return Fiber.Run(() =>
        {
            using (LibPq.Session setup = pq.Connect(server.ConnectionString))
            {
                setup.Query("CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL)");
                setup.Query($"INSERT INTO items SELECT g, 'item ' || g FROM generate_series(1, {Rows}) g");
            }
            int threadsBefore = ProcessStats.Threads, threadsDuring = 0;
            var clock = Stopwatch.StartNew();
            // Every libpq call below is one native fiber per session, all started from this one fiber.
            List<LibPq.Session> all = pq.ConnectAll(server.ConnectionString, sessions);
            int failures = 0;
            try
            {
                List<string[]>[] slept = LibPq.QueryAll(all, _ => "SELECT pg_sleep(0.2)", whileRunning: () =>
                {
                    Fiber.Sleep(TimeSpan.FromMilliseconds(100));   // every session is inside pg_sleep now
                    threadsDuring = ProcessStats.Threads;
                });
                failures += slept.Count(r => r.Count != 1);
                List<string[]>[] counted = LibPq.QueryAll(all,
                    i => $"SELECT count(*), coalesce(sum(id), 0), coalesce(min(name), '') FROM items WHERE id % {sessions} = {i}", columns: 3);
                for (int i = 0; i < sessions; i++)
                {
                    if (!Expected(counted[i], i, sessions) && failures++ < 5)
                        Console.Error.WriteLine($"postgres-many: session {i} got {string.Join(",", counted[i].Select(r => string.Join("|", r)))}");
                }
            }
            finally
            {
                all.ForEach(s => s.Dispose());
            }
            clock.Stop();
            Console.WriteLine($"postgres-many: {sessions - failures}/{sessions} sessions checked in {clock.Elapsed.TotalSeconds:F2} s " +
                              $"(connect, pg_sleep(0.2), a query; one session at a time would take over {sessions * 0.2:F0} s)");
            Console.WriteLine($"postgres-many: OS threads in this process: {threadsBefore} before, {threadsDuring} while all {sessions} sessions were in pg_sleep");
            return failures == 0 ? 0 : 1;
        }, new FiberOptions { Schedulers = 1 });
    }

    /// <summary>Whether <paramref name="rows"/> holds the count, id sum and first name of the rows with id % sessions == i.</summary>
    private static bool Expected(List<string[]> rows, int i, int sessions)
    {
        var ids = Enumerable.Range(1, Rows).Where(id => id % sessions == i).ToList();
        string expectedMin = ids.Select(id => $"item {id}").DefaultIfEmpty("").Min(StringComparer.Ordinal)!;
        return rows.Count == 1
            && rows[0][0] == ids.Count.ToString(CultureInfo.InvariantCulture)
            && rows[0][1] == ids.Sum(id => (long)id).ToString(CultureInfo.InvariantCulture)
            && rows[0][2] == expectedMin;
    }
}
