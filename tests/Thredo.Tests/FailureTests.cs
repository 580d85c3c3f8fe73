namespace Thredo.Tests;

// Console.Error is process-wide: these tests must not run beside others that capture it.
[CollectionDefinition("stderr", DisableParallelization = true)]
public class StderrCollection { }

[Collection("stderr")]
public class FailureTests
{
    [Fact]
    public void A_failure_nobody_joins_is_written_to_stderr_once_with_the_fiber_name()
    {
        string err = StderrCapture.Of(() => K.Run(() =>
        {
            Fiber.Spawn(() => throw new InvalidDataException("lost?"), "orphan");
            Fiber.Sleep(K.Ms(5));
        }));
        Assert.Contains("'orphan' failed", err);
        Assert.Contains("lost?", err);
        Assert.Equal(1, err.Split("'orphan' failed").Length - 1);
    }

    [Fact]
    public void A_failure_someone_joins_is_not_reported_on_stderr()
    {
        string err = StderrCapture.Of(() => K.Run(() =>
        {
            var f = Fiber.Spawn(() => { Fiber.Sleep(K.Ms(1)); throw new InvalidDataException(); });
            Assert.Throws<FiberFailedException>(f.Join);
        }));
        Assert.Equal("", err);
    }

    [Fact]
    public void A_fiber_holding_the_kernel_too_long_is_reported_when_LongBlockWarning_is_set()
    {
        string err = StderrCapture.Of(() => Fiber.Run(() => K.Compute(600), new FiberOptions { LongBlockWarning = K.Ms(50) }));
        Assert.Contains("'main' has held its kernel", err);
    }

    [Fact]
    public void An_exception_thrown_from_finally_replaces_the_body_exception() =>
        K.Run(() =>
        {
            var f = Fiber.Spawn(() =>
            {
                try { throw new InvalidDataException("body"); }
                finally { throw new FormatException("finally"); }
            });
            Assert.IsType<FormatException>(Assert.Throws<FiberFailedException>(f.Join).InnerException);
        });

    [Fact]
    public void An_exception_in_a_cancelled_fibers_cleanup_makes_it_Faulted() =>
        K.Run(() =>
        {
            var f = Fiber.Spawn(() =>
            {
                try { Fiber.Sleep(Timeout.InfiniteTimeSpan); }
                finally { throw new InvalidDataException("cleanup broke"); }
            });
            Fiber.Yield();
            f.Cancel();
            Assert.Equal(FiberState.Faulted, f.State);
            Assert.IsType<InvalidDataException>(f.Exception);
        });

    [Fact]
    public void Cleanup_that_blocks_after_cancellation_runs_to_the_end()
    {
        var trace = new Trace();
        K.RunOneKernel(() =>
        {
            var f = Fiber.Spawn(() =>
            {
                try { Fiber.Sleep(Timeout.InfiniteTimeSpan); }
                finally { Fiber.Sleep(K.Ms(5)); trace.Add("cleanup slept"); }
            });
            Fiber.Yield();
            f.Cancel();
            Assert.Equal(FiberState.Cancelled, f.State);
        });
        trace.Is("cleanup slept");
    }

    [Fact]
    public void A_member_failing_while_another_is_mid_cleanup_is_collected_with_it()
    {
        var trace = new Trace();
        K.RunOneKernel(() =>
        {
            using var g = new FiberGroup();
            g.Spawn(() =>
            {
                try { Fiber.Sleep(Timeout.InfiniteTimeSpan); }
                finally
                {
                    trace.Add("cleanup starts");
                    Fiber.Sleep(K.Ms(10));
                    throw new FormatException("cleanup failed");
                }
            });
            g.Spawn(() => { Fiber.Sleep(K.Ms(1)); throw new InvalidDataException("first"); });
            var e = Assert.Throws<FiberGroupException>(g.Join);
            Assert.Equal(2, e.InnerExceptions.Count);
            trace.Add("joined");
        });
        trace.Is("cleanup starts", "joined");
    }

    [Fact]
    public void Exceptions_thrown_from_many_places_never_crash_the_process() =>
        K.Run(() =>
        {
            var fs = new List<Fiber>();
            for (int i = 0; i < 50; i++)
            {
                int n = i;
                fs.Add(Fiber.Spawn(() =>
                {
                    switch (n % 5)
                    {
                        case 0: throw new InvalidDataException();
                        case 1: Fiber.Sleep(K.Ms(1)); throw new FormatException();
                        case 2: try { Fiber.Yield(); } finally { throw new ArithmeticException(); }
                        case 3: Fiber.TimeoutAfter(K.Ms(1), () => Fiber.Sleep(Timeout.InfiniteTimeSpan)); break;
                        default: Fiber.Spawn(() => throw new NotSupportedException()).Join(); break;
                    }
                }));
            }
            foreach (var f in fs) f.Wait();
            Assert.All(fs, f => Assert.Equal(FiberState.Faulted, f.State));
        });
}
