using System.ComponentModel;
using Thredo.IO;

namespace Thredo.Tests.IO.Processes;

public class FiberProcessTests
{
    private const int OneMiB = 1024 * 1024;

    [Fact]
    public void Run_returns_the_exit_code_and_both_outputs() => IOTestSupport.Bounded(() =>
    {
        ProcessResult r = FiberProcess.Run("sh", "-c", "echo out; echo err >&2; exit 3");
        Assert.Equal(new ProcessResult(3, "out\n", "err\n"), r);
    });

    [Fact]
    public void Run_passes_arguments_verbatim() => IOTestSupport.Bounded(() =>
    {
        ProcessResult r = FiberProcess.Run("printf", "%s|", "a b", "", "ü'\"$x");
        Assert.Equal("a b||ü'\"$x|", r.StandardOutput);
        Assert.Equal(0, r.ExitCode);
    });

    [Theory]
    [InlineData("head -c 1048576 /dev/zero >&2; head -c 1048576 /dev/zero")]   // stderr first: a stdout-only reader would deadlock
    [InlineData("head -c 1048576 /dev/zero; head -c 1048576 /dev/zero >&2")]
    public void Run_of_a_child_filling_both_pipes_far_past_their_buffer_completes_with_exact_counts(string script) =>
        IOTestSupport.Bounded(() =>
        {
            ProcessResult r = FiberProcess.Run("sh", "-c", script);
            Assert.Equal(0, r.ExitCode);
            Assert.Equal(OneMiB, r.StandardOutput.Length);
            Assert.Equal(OneMiB, r.StandardError.Length);
        });

    [Fact]
    public void Run_reports_a_child_ended_by_a_signal_as_128_plus_the_signal() => IOTestSupport.Bounded(() =>
        Assert.Equal(128 + 9, FiberProcess.Run("sh", "-c", "kill -9 $$").ExitCode));

    [Fact]
    public void Run_gives_the_child_default_signal_actions_so_SIGPIPE_ends_a_writer() => IOTestSupport.Bounded(() =>
    {
        // .NET ignores SIGPIPE; a child inheriting that would see 'yes' run forever with EPIPE errors.
        ProcessResult r = FiberProcess.Run("sh", "-c", "yes | head -n 2; exit 0");
        Assert.Equal("y\ny\n", r.StandardOutput);
    });

    [Fact]
    public void Run_off_a_fiber_blocks_the_thread_and_works() =>
        IOTestSupport.BoundedThread(() => Assert.Equal("hi\n", FiberProcess.Run("echo", "hi").StandardOutput));

    [Fact]
    public void Run_and_Start_check_their_arguments_by_name()
    {
        Assert.Equal("fileName", Assert.Throws<ArgumentNullException>(() => FiberProcess.Run(null!)).ParamName);
        Assert.Equal("fileName", Assert.Throws<ArgumentException>(() => FiberProcess.Run("")).ParamName);
        Assert.Equal("args", Assert.Throws<ArgumentNullException>(() => FiberProcess.Run("echo", null!)).ParamName);
        Assert.Equal("args", Assert.Throws<ArgumentException>(() => FiberProcess.Run("echo", "a", null!)).ParamName);
        Assert.Equal("fileName", Assert.Throws<ArgumentNullException>(() => FiberProcess.Start(null!)).ParamName);
        Assert.Equal("args", Assert.Throws<ArgumentException>(() => FiberProcess.Start("echo", [null!])).ParamName);
    }

    [Fact]
    public void Starting_a_missing_program_throws_Win32Exception() => IOTestSupport.Bounded(() =>
    {
        var e = Assert.Throws<Win32Exception>(() => FiberProcess.Start("thredo-no-such-program-xyz"));
        Assert.Equal(2, e.NativeErrorCode);   // ENOENT
        Assert.Throws<Win32Exception>(() => FiberProcess.Run("thredo-no-such-program-xyz"));
    });

    [Fact]
    public void Start_streams_lines_both_ways_and_reports_the_exit() => IOTestSupport.Bounded(() =>
    {
        using FiberChildProcess cat = FiberProcess.Start("cat");
        cat.WriteLine("hello");
        Assert.Equal("hello", cat.ReadLine());
        cat.WriteLine("second");
        Assert.Equal("second", cat.ReadLine());
        cat.CloseStandardInput();
        Assert.Null(cat.ReadLine());
        Assert.Equal(0, cat.WaitForExit());
        Assert.True(cat.HasExited);
        Assert.Null(cat.ExitSignal);
        Assert.Null(cat.ReadErrorLine());
    });

    [Fact]
    public void Other_fibers_run_while_one_waits_for_a_child() => IOTestSupport.BoundedOneKernel(() =>
    {
        // The reader parks on the pipe; if that blocked the kernel, the writer could never run.
        var trace = new Trace();
        using FiberChildProcess cat = FiberProcess.Start("cat");
        Fiber reader = Fiber.Spawn(() => { trace.Add("reading"); trace.Add("read " + cat.ReadLine()); });
        Fiber.Yield();
        trace.Add("writing");
        cat.WriteLine("x");
        reader.Join();
        trace.Is("reading", "writing", "read x");
    });

    [Fact]
    public void Cancelling_a_fiber_in_Run_kills_and_reaps_the_child() => IOTestSupport.Bounded(() =>
    {
        string pidFile = IOTestSupport.TempPath("pid");
        Fiber runner = Fiber.Spawn(() => FiberProcess.Run("sh", "-c", $"echo $$ > '{pidFile}'; exec sleep 60"));
        int pid = int.Parse(IOTestSupport.WaitForLineInFile(pidFile), System.Globalization.CultureInfo.InvariantCulture);
        runner.Cancel();
        Assert.Equal(FiberState.Cancelled, runner.State);
        IOTestSupport.AssertReaped(pid);
    });

    [Fact]
    public void A_timeout_scope_around_Run_kills_and_reaps_the_child() => IOTestSupport.Bounded(() =>
    {
        string pidFile = IOTestSupport.TempPath("pid");
        Assert.Throws<FiberTimeoutException>(() =>
            Fiber.TimeoutAfter(TimeSpan.FromMilliseconds(300), () =>
                FiberProcess.Run("sh", "-c", $"echo $$ > '{pidFile}'; exec sleep 60")));
        int pid = int.Parse(File.ReadAllText(pidFile).Trim(), System.Globalization.CultureInfo.InvariantCulture);
        IOTestSupport.AssertReaped(pid);
    });

    [Fact]
    public void Cancelling_a_fiber_in_WaitForExit_kills_and_reaps_the_child() => IOTestSupport.BoundedOneKernel(() =>
    {
        using FiberChildProcess sleeper = FiberProcess.Start("sleep", "60");
        Fiber waiter = Fiber.Spawn(() => sleeper.WaitForExit());
        Fiber.Yield();
        Assert.Equal(FiberState.Blocked, waiter.State);
        waiter.Cancel();
        Assert.Equal(FiberState.Cancelled, waiter.State);
        Assert.True(sleeper.HasExited);
        Assert.Equal(9, sleeper.ExitSignal);
        Assert.Equal(137, sleeper.ExitCode);
        IOTestSupport.AssertReaped(sleeper.Id);
    });

    [Fact]
    public void Disposing_a_running_child_kills_and_reaps_it() => IOTestSupport.Bounded(() =>
    {
        FiberChildProcess sleeper = FiberProcess.Start("sleep", "60");
        sleeper.Dispose();
        Assert.True(sleeper.HasExited);
        IOTestSupport.AssertReaped(sleeper.Id);
    });

    [Fact]
    public void Several_fibers_may_wait_for_the_same_child() => IOTestSupport.Bounded(() =>
    {
        using FiberChildProcess child = FiberProcess.Start("sh", "-c", "read x; exit 5");
        Fiber<int> a = Fiber.Spawn(child.WaitForExit);
        Fiber<int> b = Fiber.Spawn(child.WaitForExit);
        Fiber.Yield();
        child.WriteLine("go");
        Assert.Equal(5, a.Join());
        Assert.Equal(5, b.Join());
    });

    [Fact]
    public void A_cancelled_ReadLine_loses_nothing_already_received() => IOTestSupport.Bounded(() =>
    {
        using FiberChildProcess cat = FiberProcess.Start("cat");
        Fiber reader = Fiber.Spawn(() => cat.ReadLine());
        cat.StandardInput.Write("partial"u8);
        while (cat.StandardOutput.BufferedCount < "partial".Length)   // the reader has taken the partial line in
            Fiber.Sleep(TimeSpan.FromMilliseconds(1));
        reader.Cancel();
        Assert.IsType<IOCancelledException>(reader.Exception, exactMatch: false);
        cat.WriteLine(" line");
        Assert.Equal("partial line", cat.ReadLine());
    });

    [Fact]
    public void A_childs_stdout_is_a_FiberStream_whose_ReadLine_reports_partial_progress_when_interrupted() => IOTestSupport.Bounded(() =>
    {
        using FiberChildProcess cat = FiberProcess.Start("cat");
        FiberStream stdout = cat.StandardOutput;
        Assert.True(stdout.CanRead);
        Assert.False(stdout.CanWrite);
        Assert.False(stdout.CanSeek);
        Assert.False(cat.StandardInput.CanRead);
        Assert.True(cat.StandardInput.CanWrite);

        cat.StandardInput.Write("first\r\nhalf"u8);
        Assert.Equal("first", stdout.ReadLine());
        var e = Assert.Throws<IOTimeoutException>(() => Fiber.TimeoutAfter(K.Ms(50), () => stdout.ReadLine()));
        Assert.Equal(4, e.BytesReceived);            // "half" arrived, no newline yet ...
        Assert.Equal(0, e.BytesSent);
        Assert.Equal(4, stdout.BufferedCount);       // ... and it stays buffered
        Assert.IsType<FiberTimeoutException>(e.InnerException, exactMatch: false);

        cat.StandardInput.Write(" done\n"u8);
        Assert.Equal("half done", cat.ReadLine());   // FiberChildProcess.ReadLine is the stream's ReadLine
        cat.CloseStandardInput();
        Assert.Null(stdout.ReadLine());
        Assert.Equal(0, cat.WaitForExit());
    });

    [Fact]
    public void A_cancelled_ReadLine_of_stdout_reports_the_bytes_of_the_partial_line() => IOTestSupport.BoundedOneKernel(() =>
    {
        using FiberChildProcess cat = FiberProcess.Start("cat");
        var trace = new Trace();
        Fiber reader = Fiber.Spawn(() =>
        {
            try
            {
                cat.StandardOutput.ReadLine();
            }
            catch (IOCancelledException e)
            {
                trace.Add($"cancelled with {e.BytesReceived} byte(s) received");
                throw;
            }
        });
        cat.StandardInput.Write("abc"u8);
        while (cat.StandardOutput.BufferedCount < 3)
            Fiber.Sleep(K.Ms(1));
        reader.Cancel();
        Assert.Equal(FiberState.Cancelled, reader.State);
        trace.Is("cancelled with 3 byte(s) received");
        byte[] rest = new byte[3];
        cat.StandardOutput.ReadExactly(rest);          // Read drains what ReadLine kept
        Assert.Equal("abc"u8.ToArray(), rest);
    });

    [Fact]
    public void Reading_stdin_or_writing_stdout_is_not_supported() => IOTestSupport.Bounded(() =>
    {
        using FiberChildProcess cat = FiberProcess.Start("cat");
        Assert.Throws<NotSupportedException>(() => cat.StandardInput.ReadLine());
        Assert.Throws<NotSupportedException>(() => cat.StandardOutput.Write("x"u8));
        Assert.Throws<NotSupportedException>(() => cat.StandardOutput.Length);
        Assert.Throws<NotSupportedException>(() => cat.StandardOutput.Socket);
    });

    [Fact]
    public void WaitForExit_off_a_fiber_blocks_the_thread() =>
        IOTestSupport.BoundedThread(() =>
        {
            using FiberChildProcess child = FiberProcess.Start("sh", "-c", "echo done; exit 7");
            Assert.Equal("done", child.ReadLine());
            Assert.Equal(7, child.WaitForExit());
        });
}
