using System.Diagnostics;

namespace Thredo.Examples.CLibraries;

/// <summary>
/// A throwaway PostgreSQL server for the libpq examples, tests and benchmarks: Debian's <c>postgresql</c>
/// package, <c>initdb</c> into a new temporary directory, <c>pg_ctl start</c> listening only on a Unix
/// socket in that directory. <see cref="Dispose"/> stops it and deletes the directory; so does the end of
/// the process (ProcessExit, Ctrl+C), whatever happens in between; a server left behind by a process that was
/// killed outright is stopped and deleted by the next <see cref="Start"/>. PostgreSQL refuses to run as root, so
/// as root the server runs as the <c>postgres</c> user (<c>runuser</c>) in a directory that user owns.
/// </summary>
internal sealed class PostgresServer : IDisposable
{
    private readonly string _bin, _dir;
    private readonly bool _asPostgresUser;
    private int _stopped;

    private PostgresServer(string bin, string dir, bool asPostgresUser)
    {
        _bin = bin;
        _dir = dir;
        _asPostgresUser = asPostgresUser;
        AppDomain.CurrentDomain.ProcessExit += OnExit;
        Console.CancelKeyPress += OnExit;
    }

    /// <summary>The libpq connection string of the <c>postgres</c> database over the Unix socket.</summary>
    public string ConnectionString => $"host={_dir} dbname=postgres user=postgres";

    /// <summary>The directory holding the data and the socket.</summary>
    public string Directory => _dir;

    /// <summary>Where the server binaries are: the newest /usr/lib/postgresql/N/bin with initdb, or null.</summary>
    public static string? FindBinaries() =>
        System.IO.Directory.Exists("/usr/lib/postgresql")
            ? System.IO.Directory.GetDirectories("/usr/lib/postgresql")
                .Select(d => Path.Combine(d, "bin"))
                .Where(b => File.Exists(Path.Combine(b, "initdb")))
                .OrderByDescending(b => int.TryParse(Path.GetFileName(Path.GetDirectoryName(b)), out int v) ? v : 0)
                .FirstOrDefault()
            : null;

    /// <summary>Creates and starts a server allowing <paramref name="maxConnections"/> sessions.</summary>
    /// <exception cref="InvalidOperationException">PostgreSQL is not installed, or initdb/pg_ctl failed (the message has their output).</exception>
    public static PostgresServer Start(int maxConnections = 100)
    {
        string bin = FindBinaries() ?? throw new InvalidOperationException(
            "PostgreSQL server binaries were not found under /usr/lib/postgresql/*/bin: install the Debian package postgresql (apt-get install postgresql; .ci/run does).");
        bool root = Environment.UserName == "root";
        RemoveOrphans(bin, root);
        string dir = System.IO.Directory.CreateTempSubdirectory(Prefix).FullName;
        File.WriteAllText(Path.Combine(dir, OwnerFile), Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var server = new PostgresServer(bin, dir, root);
        try
        {
            if (root)
                server.Run("/bin/chown", ["postgres:", dir], asPostgres: false);
            server.Run(Path.Combine(bin, "initdb"), ["-D", Path.Combine(dir, "data"), "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8", "--locale=C"]);
            server.Run(Path.Combine(bin, "pg_ctl"), ["-D", Path.Combine(dir, "data"), "-l", Path.Combine(dir, "log"), "-w", "-o",
                $"-k {dir} -c listen_addresses='' -c max_connections={maxConnections} -c fsync=off -c synchronous_commit=off -c full_page_writes=off", "start"]);
            return server;
        }
        catch
        {
            server.Dispose();
            throw;
        }
    }

    private const string Prefix = "thredo-pg-", OwnerFile = "owner.pid";

    /// <summary>Stops and deletes the servers of processes that no longer exist (killed before they could clean up).</summary>
    private static void RemoveOrphans(string bin, bool root)
    {
        foreach (string dir in System.IO.Directory.GetDirectories(Path.GetTempPath(), Prefix + "*"))
        {
            string owner = Path.Combine(dir, OwnerFile);
            if (!File.Exists(owner) || !int.TryParse(File.ReadAllText(owner), out int pid) || System.IO.Directory.Exists($"/proc/{pid}"))
                continue;
            new PostgresServer(bin, dir, root).Dispose();
        }
    }

    /// <summary>Runs a server command (as the postgres user when we are root); throws with its output if it fails.</summary>
    private void Run(string program, string[] arguments, bool asPostgres = true)
    {
        var start = new ProcessStartInfo(asPostgres && _asPostgresUser ? "/usr/sbin/runuser" : program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (asPostgres && _asPostgresUser)
        {
            foreach (string a in (string[])["-u", "postgres", "--", program])
                start.ArgumentList.Add(a);
        }
        foreach (string a in arguments)
            start.ArgumentList.Add(a);
        using Process p = Process.Start(start)!;
        // pg_ctl's server inherits these pipes: read to the end only what the command itself wrote.
        Task<string> output = p.StandardOutput.ReadToEndAsync();
        Task<string> errors = p.StandardError.ReadToEndAsync();
        p.WaitForExit();
        if (p.ExitCode != 0)
        {
            string log = File.Exists(Path.Combine(_dir, "log")) ? File.ReadAllText(Path.Combine(_dir, "log")) : "";
            throw new InvalidOperationException(
                $"{Path.GetFileName(program)} failed (exit {p.ExitCode}): {(errors.Wait(1000) ? errors.Result : "")}{(output.Wait(1000) ? output.Result : "")}{log}");
        }
    }

    private void OnExit(object? sender, EventArgs e) => Dispose();

    /// <summary>Stops the server (immediate shutdown) and deletes its directory. Idempotent.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0)
            return;
        AppDomain.CurrentDomain.ProcessExit -= OnExit;
        Console.CancelKeyPress -= OnExit;
        try
        {
            if (File.Exists(Path.Combine(_dir, "data", "postmaster.pid")))
                Run(Path.Combine(_bin, "pg_ctl"), ["-D", Path.Combine(_dir, "data"), "-m", "immediate", "-w", "stop"]);
        }
        catch (InvalidOperationException e)
        {
            Console.Error.WriteLine($"PostgresServer: stopping the server in {_dir} failed: {e.Message}");
        }
        finally
        {
            System.IO.Directory.Delete(_dir, recursive: true);
        }
    }
}
