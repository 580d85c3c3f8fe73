using Thredo.Examples.CLibraries;

namespace Thredo.Tests.Native;

/// <summary>One PostgreSQL server for the class: started once, stopped and deleted at the end.</summary>
public sealed class PostgresFixture : IDisposable
{
    private readonly Lazy<PostgresServer> _server = new(() => PostgresServer.Start(maxConnections: 60));

    /// <summary>The running server; fails the test with what to install when PostgreSQL is missing.</summary>
    internal PostgresServer Server
    {
        get
        {
            if (PostgresServer.FindBinaries() is null)
                Assert.Fail("PostgreSQL is not installed: install the Debian package postgresql (.ci/run does).");
            return _server.Value;
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (_server.IsValueCreated)
            _server.Value.Dispose();
    }
}

/// <summary>Unmodified libpq (libpq.so.5) on native fibers against a real PostgreSQL server.</summary>
public class PostgresTests(PostgresFixture fixture) : IClassFixture<PostgresFixture>
{
    private static LibPq Pq()
    {
        try
        {
            return LibPq.Instance;
        }
        catch (DllNotFoundException e)
        {
            Assert.Fail($"libpq.so.5 is missing: install the Debian package libpq5 (.ci/run does). {e.Message}");
            throw;
        }
    }

    [Fact]
    public void Statements_that_finish_only_when_all_are_running_at_once_all_finish_on_one_kernel()
    {
        const int sessions = 40;
        LibPq pq = Pq();
        string cs = fixture.Server.ConnectionString;
        string gate = $"gate_{Guid.NewGuid():N}";
        K.Run(() =>
        {
            using (LibPq.Session setup = pq.Connect(cs))
            {
                // A barrier on the server: each statement arrives, then sleeps until all have arrived. If a
                // PQexec blocked the kernel's thread, the others could never arrive: the wait below fails.
                setup.Query($"CREATE SEQUENCE {gate}_arrivals");
                setup.Query($"""
                    CREATE FUNCTION {gate}(n int, i int) RETURNS int AS $$
                    BEGIN
                        PERFORM nextval('{gate}_arrivals');
                        WHILE (SELECT last_value FROM {gate}_arrivals) < n LOOP
                            PERFORM pg_sleep(0.01);
                        END LOOP;
                        RETURN i;
                    END $$ LANGUAGE plpgsql
                    """);
            }
            List<LibPq.Session> all = pq.ConnectAll(cs, sessions);
            try
            {
                List<string[]>[] answers = Fiber.TimeoutAfter(TimeSpan.FromSeconds(60),
                    () => LibPq.QueryAll(all, i => $"SELECT {gate}({sessions}, {i})"));
                for (int i = 0; i < sessions; i++)
                    Assert.Equal(i.ToString(System.Globalization.CultureInfo.InvariantCulture), answers[i][0][0]);
            }
            finally
            {
                all.ForEach(s => s.Dispose());
            }
        });
    }

    [Fact]
    public void A_query_cancelled_by_a_fiber_timeout_stops_on_the_server_which_stays_healthy()
    {
        LibPq pq = Pq();
        string cs = fixture.Server.ConnectionString;
        K.Run(() =>
        {
            LibPq.Session victim = pq.Connect(cs);
            // 1 s: long enough for the statement to have reached the server (a cancel request that
            // arrives before it is ignored, and the check below would then fail).
            Assert.Null(victim.QueryWithin("SELECT pg_sleep(60)", TimeSpan.FromSeconds(1)));

            using LibPq.Session probe = pq.Connect(cs);
            // PQcancel reached the server: the statement ends there soon (polled, not timed).
            string Sleeping() => probe.Query("SELECT count(*) FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(60)' AND state = 'active'")[0][0];
            Fiber.TimeoutAfter(TimeSpan.FromSeconds(30), () =>
            {
                while (Sleeping() != "0")
                    Fiber.Sleep(K.Ms(20));
            });
            Assert.Equal("2", probe.Query("SELECT 1 + 1")[0][0]);
        });
    }
}
