using System.Text;
using Thredo.Fibers;
using Thredo.IO;

namespace Thredo.Tests.IO.Files;

public class FiberFileTests
{
    [Fact]
    public void Whole_file_helpers_round_trip() => IOTestSupport.Bounded(() =>
    {
        string path = IOTestSupport.TempPath("f.txt");
        byte[] bytes = [0, 1, 2, 255, 128];
        FiberFile.WriteAllBytes(path, bytes);
        Assert.Equal(bytes, FiberFile.ReadAllBytes(path));

        FiberFile.WriteAllText(path, "héllo\n");
        Assert.Equal("héllo\n", FiberFile.ReadAllText(path));
        Assert.Equal("héllo\n"u8.ToArray(), FiberFile.ReadAllBytes(path));   // UTF-8, no byte order mark

        FiberFile.AppendAllText(path, "world\n");
        Assert.Equal(["héllo", "world"], FiberFile.ReadAllLines(path));

        FiberFile.WriteAllText(path, "ünï", Encoding.Latin1);
        Assert.Equal(3, FiberFile.ReadAllBytes(path).Length);
        Assert.Equal("ünï", FiberFile.ReadAllText(path, Encoding.Latin1));
        FiberFile.AppendAllText(path, "ç", Encoding.Latin1);
        Assert.Equal("ünïç", FiberFile.ReadAllText(path, Encoding.Latin1));
    });

    [Fact]
    public void Open_returns_a_FiberStream_that_round_trips_through_StreamWriter_and_StreamReader() => IOTestSupport.Bounded(() =>
    {
        string path = IOTestSupport.TempPath("s.txt");
        using (FiberStream s = FiberFile.Open(path, FileMode.Create, FileAccess.Write))
        {
            Assert.True(s.CanWrite);
            Assert.False(s.CanRead);
            Assert.True(s.CanSeek);
            using var w = new StreamWriter(s);
            for (int i = 0; i < 1000; i++)
                w.WriteLine($"line {i}");
        }
        using (FiberStream s = FiberFile.Open(path, FileMode.Open, FileAccess.Read))
        using (var r = new StreamReader(s))
        {
            Assert.False(s.CanWrite);
            for (int i = 0; i < 1000; i++)
                Assert.Equal($"line {i}", r.ReadLine());
            Assert.Null(r.ReadLine());
        }
    });

    [Fact]
    public void A_StreamReader_over_a_file_stream_blocks_only_its_fiber() => IOTestSupport.BoundedOneKernel(() =>
    {
        // A FIFO whose writer is a child process: the reader's open and reads block in the OS until the
        // child writes, and the child writes its second line only after this (main) fiber of the same,
        // single kernel tells it to; that can only happen if the reader's waits released the kernel.
        string fifo = IOTestSupport.TempPath("fifo");
        Assert.Equal(0, Posix.mkfifo(fifo, Convert.ToUInt32("600", 8)));
        var trace = new Trace();
        Fiber reader = Fiber.Spawn(() =>
        {
            using FiberStream s = FiberFile.Open(fifo, FileMode.Open, FileAccess.Read);
            using var r = new StreamReader(s);
            trace.Add("reader got " + r.ReadLine());
            trace.Add("reader got " + r.ReadLine());
            trace.Add("reader got " + (r.ReadLine() ?? "end"));
        });
        using FiberChildProcess writer = FiberProcess.Start("sh", "-c", $"exec > '{fifo}'; echo one; read x; echo two");
        while (trace.Items.Length < 1)   // the reader, blocked in read(2) meanwhile, takes the line in
            Fiber.Sleep(K.Ms(1));
        trace.Add("main tells the writer to go on");
        writer.WriteLine("go");
        reader.Join();
        Assert.Equal(0, writer.WaitForExit());
        trace.Is("reader got one", "main tells the writer to go on", "reader got two", "reader got end");
    });

    [Fact]
    public void A_file_stream_mixes_ReadLine_Read_Seek_and_Write_at_the_right_positions() => IOTestSupport.Bounded(() =>
    {
        string path = IOTestSupport.TempPath("m.txt");
        FiberFile.WriteAllText(path, "one\ntwo\nthree\n");
        using (FiberStream s = FiberFile.Open(path, FileMode.Open))
        {
            Assert.Equal(14, s.Length);
            Assert.Equal("one", s.ReadLine());
            Assert.True(s.BufferedCount > 0);   // ReadLine read ahead ...
            Assert.Equal(4, s.Position);        // ... but the position counts only what was returned
            byte[] t = new byte[1];
            s.ReadExactly(t);
            Assert.Equal((byte)'t', t[0]);
            s.Write("W"u8);                     // lands right after the 't', not after the read-ahead
            Assert.Equal(6, s.Position);
            Assert.Equal("o", s.ReadLine());
            s.Seek(-6, SeekOrigin.End);
            Assert.Equal("three", s.ReadLine());
            s.Position = 0;
            s.SetLength(3);
            Assert.Equal("one", s.ReadLine());
            Assert.Null(s.ReadLine());
        }
        Assert.Equal("one", File.ReadAllText(path));
        FiberFile.WriteAllText(path, "one\ntwo\nthree\n");
        using (FiberStream s = FiberFile.Open(path, FileMode.Open, FileAccess.ReadWrite))
        {
            Assert.Equal("one", s.ReadLine());
            s.Write("2"u8);
        }
        Assert.Equal("one\n2wo\nthree\n", File.ReadAllText(path));
    });

    [Fact]
    public void Open_with_a_cancellation_pending_throws_before_the_file_is_created() => IOTestSupport.Bounded(() =>
    {
        string path = IOTestSupport.TempPath("never");
        using (Fiber.TimeoutAfter(TimeSpan.Zero))
        {
            K.Compute(2);
            Assert.Throws<FiberTimeoutException>(() => FiberFile.Open(path, FileMode.Create));
        }
        Assert.False(File.Exists(path));
    });

    [Fact]
    public void A_file_operation_blocked_in_the_OS_lets_other_fibers_run() => IOTestSupport.BoundedOneKernel(() =>
    {
        // Opening a FIFO for reading blocks in the OS until a writer opens it. The writer is another fiber
        // of the same (single) kernel, so it only ever runs if the reader's wait released the kernel.
        string fifo = IOTestSupport.TempPath("fifo");
        Assert.Equal(0, Posix.mkfifo(fifo, Convert.ToUInt32("600", 8)));
        var trace = new Trace();
        Fiber reader = Fiber.Spawn(() =>
        {
            trace.Add("reader opens");
            string text = FiberFile.ReadAllText(fifo);
            trace.Add("reader got " + text);
        });
        Fiber.Yield();
        trace.Add("writer opens");
        FiberFile.WriteAllText(fifo, "hello");
        reader.Join();
        trace.Is("reader opens", "writer opens", "reader got hello");
    });

    [Fact]
    public void A_ticker_fiber_keeps_ticking_during_a_large_write() => IOTestSupport.Bounded(() =>
    {
        // Loose by design: it says only that the ticker ran at least once while the write was in the OS.
        string path = IOTestSupport.TempPath("big");
        byte[] data = new byte[64 * 1024 * 1024];
        int ticks = 0;
        bool writing = false;
        int ticksDuringWrite = 0;
        Fiber ticker = Fiber.Spawn(() =>
        {
            while (true)
            {
                Fiber.Sleep(TimeSpan.FromMilliseconds(1));
                ticks++;
                if (Volatile.Read(ref writing))
                    ticksDuringWrite++;
            }
        });
        Fiber.Yield();
        Volatile.Write(ref writing, true);
        FiberFile.WriteAllBytes(path, data);
        Volatile.Write(ref writing, false);
        ticker.Cancel();
        Assert.True(ticksDuringWrite > 0, $"no tick during the write ({ticks} ticks in all)");
        Assert.Equal(data.Length, new FileInfo(path).Length);
    });

    [Fact]
    public void A_cancellation_pending_on_entry_is_thrown_before_the_file_is_touched() => IOTestSupport.Bounded(() =>
    {
        string path = IOTestSupport.TempPath("never");
        using (Fiber.TimeoutAfter(TimeSpan.Zero))
        {
            K.Compute(2);   // the deadline passes during computation, and is delivered at the next blocking operation
            Assert.Throws<FiberTimeoutException>(() => FiberFile.WriteAllText(path, "x"));
        }
        Assert.False(File.Exists(path));
    });

    [Fact]
    public void Disposing_a_file_stream_while_a_cancellation_is_pending_closes_it_without_throwing() => IOTestSupport.Bounded(() =>
    {
        string path = IOTestSupport.TempPath("d.txt");
        FiberStream s = FiberFile.Open(path, FileMode.Create, FileAccess.Write);
        s.Write("abc"u8);
        using (Fiber.TimeoutAfter(TimeSpan.Zero))
        {
            K.Compute(2);
            s.Dispose();   // flushes and closes; the timeout stays pending ...
            Assert.Throws<FiberTimeoutException>(() => Fiber.Yield());   // ... for the next blocking operation
        }
        Assert.Equal("abc", File.ReadAllText(path));
    });

    [Fact]
    public void Arguments_are_checked_by_name() => IOTestSupport.Bounded(() =>
    {
        Assert.Equal("path", Assert.Throws<ArgumentNullException>(() => FiberFile.ReadAllBytes(null!)).ParamName);
        Assert.Equal("path", Assert.Throws<ArgumentException>(() => FiberFile.ReadAllText("")).ParamName);
        Assert.Equal("encoding", Assert.Throws<ArgumentNullException>(() => FiberFile.ReadAllText("x", null!)).ParamName);
        Assert.Equal("bytes", Assert.Throws<ArgumentNullException>(() => FiberFile.WriteAllBytes("x", null!)).ParamName);
        Assert.Equal("path", Assert.Throws<ArgumentNullException>(() => FiberFile.WriteAllText(null!, "x")).ParamName);
        Assert.Equal("encoding", Assert.Throws<ArgumentNullException>(() => FiberFile.WriteAllText("x", "x", null!)).ParamName);
        Assert.Equal("path", Assert.Throws<ArgumentException>(() => FiberFile.AppendAllText("", "x")).ParamName);
        Assert.Equal("mode", Assert.Throws<ArgumentOutOfRangeException>(() => FiberFile.Open("x", (FileMode)99, FileAccess.Read)).ParamName);
        Assert.Equal("mode", Assert.Throws<ArgumentOutOfRangeException>(() => FiberFile.Open("x", (FileMode)99)).ParamName);
        Assert.Equal("access", Assert.Throws<ArgumentOutOfRangeException>(() => FiberFile.Open("x", FileMode.Open, (FileAccess)99)).ParamName);
        Assert.Equal("path", Assert.Throws<ArgumentException>(() => FiberFile.Open("", FileMode.Open)).ParamName);
        Assert.Throws<FileNotFoundException>(() => FiberFile.ReadAllBytes(IOTestSupport.TempPath("missing")));
    });
}
