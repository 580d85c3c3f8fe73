using System.Diagnostics;
using System.Globalization;
using Thredo.IO;

namespace Thredo.Examples;

/// <summary>
/// Runs a command, streams its output line by line as it comes, and kills it if it outlives a timeout.
/// The fiber waits on the child's pipes and its exit through the kernel's poller; the timeout is an
/// ordinary <see cref="Fiber.TimeoutAfter(TimeSpan)"/> scope, and leaving it kills and reaps the child.
/// </summary>
internal sealed class Subprocess : Example
{
    private const string DefaultCommand = "for i in 1 2 3 4 5; do echo line $i; sleep 0.3; done";

    public override string Name => "subprocess";

    public override string Description => "run a command, stream its output, kill it after a timeout (--timeout S) [-- cmd args]";

    public override int Order => 40;

    public override int Run(string[] args)
    {
        double timeout = 1.0;
        string[] command = ["sh", "-c", DefaultCommand];
        for (int i = 0; i < args.Length; i++)
        {
            if (args[i] == "--timeout" && i + 1 < args.Length)
                timeout = double.Parse(args[++i], CultureInfo.InvariantCulture);
            else if (args[i] == "--")
            {
                if (i + 1 < args.Length)
                    command = args[(i + 1)..];
                break;
            }
            else
            {
                Console.Error.WriteLine($"usage: subprocess [--timeout SECONDS] [-- COMMAND ARGS...]   (default: sh -c '{DefaultCommand}', 1 s)");
                return 2;
            }
        }

        return Fiber.Run(() =>
        {
            var clock = Stopwatch.StartNew();
            FiberChildProcess child;
            try
            {
                child = FiberProcess.Start(command[0], command[1..]);
            }
            catch (System.ComponentModel.Win32Exception e)
            {
                Console.WriteLine(e.Message);
                return 127;   // like a shell's "command not found"
            }
            using FiberChildProcess started = child;
            Console.WriteLine($"[{clock.Elapsed.TotalSeconds,5:F2}s] started {string.Join(' ', command)} as pid {child.Id}, timeout {timeout}s");

            // A second fiber echoes stderr, so neither pipe can fill up unread.
            Fiber errors = Fiber.Spawn(() =>
            {
                while (child.ReadErrorLine() is string line)
                    Console.WriteLine($"[{clock.Elapsed.TotalSeconds,5:F2}s] stderr: {line}");
            }, "stderr");
            try
            {
                using (Fiber.TimeoutAfter(TimeSpan.FromSeconds(timeout)))
                {
                    while (child.ReadLine() is string line)
                        Console.WriteLine($"[{clock.Elapsed.TotalSeconds,5:F2}s] stdout: {line}");
                    int code = child.WaitForExit();
                    errors.Join();
                    Console.WriteLine($"[{clock.Elapsed.TotalSeconds,5:F2}s] exited with code {code}");
                    return code;
                }
            }
            catch (FiberTimeoutException)
            {
                child.Dispose();   // kill (SIGKILL) and reap
                errors.Cancel();
                Console.WriteLine($"[{clock.Elapsed.TotalSeconds,5:F2}s] timed out: killed pid {child.Id} (exit code {child.ExitCode}, signal {child.ExitSignal})");
                return 124;   // like timeout(1)
            }
        });
    }
}
