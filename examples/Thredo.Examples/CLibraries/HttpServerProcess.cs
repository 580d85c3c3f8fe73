using System.Diagnostics;
using System.Globalization;

namespace Thredo.Examples.CLibraries;

/// <summary>
/// A <see cref="DelayedHttpServer"/> in a child process (<c>Thredo.Examples curl-many --serve</c>), so that
/// the threads and CPU time a client process reports are its own: a Thredo server gives each connection a
/// managed fiber, and each managed fiber an OS thread. The child ends when its standard input closes, so it
/// never outlives the process that started it.
/// </summary>
internal sealed class HttpServerProcess : IDisposable
{
    private const string Serving = "curl-many: serving on 127.0.0.1:";
    private readonly Process _process;

    private HttpServerProcess(Process process, int port)
    {
        _process = process;
        Port = port;
    }

    /// <summary>The port the child listens on.</summary>
    public int Port { get; }

    /// <summary>As <see cref="DelayedHttpServer.Url"/>.</summary>
    public string Url(int delayMs, int id) => $"http://127.0.0.1:{Port}/delay/{delayMs}/id/{id}";

    /// <summary>Starts the server from <paramref name="examplesAssembly"/> (Thredo.Examples.dll) and waits until it listens.</summary>
    public static HttpServerProcess Start(string examplesAssembly)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardInput = true, RedirectStandardOutput = true, UseShellExecute = false };
        start.ArgumentList.Add(examplesAssembly);
        start.ArgumentList.Add("curl-many");
        start.ArgumentList.Add("--serve");
        Process process = Process.Start(start) ?? throw new InvalidOperationException("Could not start the HTTP server child process.");
        while (process.StandardOutput.ReadLine() is string line)
        {
            if (line.StartsWith(Serving, StringComparison.Ordinal))
            {
                // Keep draining: a full stdout pipe would stall the child.
                new Thread(() => { while (process.StandardOutput.ReadLine() is not null) { } }) { IsBackground = true }.Start();
                return new HttpServerProcess(process, int.Parse(line.AsSpan(Serving.Length), CultureInfo.InvariantCulture));
            }
        }
        process.Dispose();
        throw new InvalidOperationException("The HTTP server child process ended before it reported its port.");
    }

    /// <summary>The child's side: serve until standard input closes. Returns the exit code.</summary>
    public static int Serve() => Fiber.Run(() =>
    {
        var server = DelayedHttpServer.Start();
        Console.WriteLine($"{Serving}{server.Port}");
        Fiber.RunBlocking(() => { while (Console.In.ReadLine() is not null) { } });
        server.Stop();
        return 0;
    });

    /// <inheritdoc/>
    public void Dispose()
    {
        _process.StandardInput.Close();
        if (!_process.WaitForExit(5000))
            _process.Kill();
        _process.Dispose();
    }
}
