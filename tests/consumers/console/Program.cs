// The Thredo package as an application sees it: spawn, queue, time out, echo over loopback, one native
// fiber. Run by tests/consumers/run.sh: args are the layout the build chose ("portable": the library under
// runtimes/<rid>/native/, "flat": next to the app, from -r <rid>) and the C entry library's path.
using System.Net;
using System.Runtime.InteropServices;
using Thredo;
using Thredo.IO;
using Thredo.Native;

string layout = args.Length > 0 ? args[0] : "portable";
string entryLibrary = args.Length > 1 ? args[1] : Path.Combine(AppContext.BaseDirectory, "libconsumer_entry.so");
int passed = 0, failed = 0;

void Check(string name, Func<string> body)
{
    try
    {
        Console.WriteLine($"ok   {name}: {body()}");
        passed++;
    }
#pragma warning disable CA1031 // every failure is reported and counted, then the next check runs
    catch (Exception e)
#pragma warning restore CA1031
    {
        Console.WriteLine($"FAIL {name}: {e}");
        failed++;
    }
}

static void Expect(bool condition, string what)
{
    if (!condition)
        throw new InvalidOperationException(what);
}

Fiber.Run(() =>
{
    Check("native library from the package", () =>
    {
        // The first P/Invoke has run (Fiber.Run): find the mapped file and where it must be for this layout.
        string loaded = File.ReadLines("/proc/self/maps").Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(f => f.Length >= 6 && f[5].EndsWith("/libthredo_native.so", StringComparison.Ordinal)).Select(f => f[5]).Distinct().Single();
        string expected = layout == "flat"
            ? Path.Combine(AppContext.BaseDirectory, "libthredo_native.so")
            : Path.Combine(AppContext.BaseDirectory, "runtimes", RuntimeInformation.RuntimeIdentifier, "native", "libthredo_native.so");
        Expect(loaded == Path.GetFullPath(expected), $"loaded {loaded}, expected {expected}");
        return loaded;
    });

    Check("spawn and join", () =>
    {
        var fibers = Enumerable.Range(1, 100).Select(i => Fiber.Spawn(() => { Fiber.Yield(); return i; })).ToList();
        int sum = fibers.Sum(f => f.Join());
        Expect(sum == 5050, $"sum {sum}");
        return $"100 fibers, sum {sum}";
    });

    Check("FiberQueue", () =>
    {
        var queue = new FiberQueue<int?>(maxSize: 4);
        var worker = Fiber.Spawn(() =>
        {
            var got = new List<int>();
            while (queue.Get() is int n)
                got.Add(n);
            return got;
        });
        for (int i = 0; i < 10; i++)
            queue.Put(i);
        queue.Put(null);
        List<int> received = worker.Join();
        Expect(received.SequenceEqual(Enumerable.Range(0, 10)), $"got {string.Join(",", received)}");
        return $"got {string.Join(",", received)}";
    });

    Check("timeout", () =>
    {
        var started = System.Diagnostics.Stopwatch.StartNew();
        bool timedOut = false;
        try
        {
            Fiber.TimeoutAfter(TimeSpan.FromMilliseconds(30), () => Fiber.Sleep(TimeSpan.FromSeconds(10)));
        }
        catch (FiberTimeoutException)
        {
            timedOut = true;
        }
        bool finished = Fiber.IgnoreAfter(TimeSpan.FromMilliseconds(30), () => Fiber.Sleep(TimeSpan.FromSeconds(10)));
        Expect(timedOut && !finished && started.Elapsed < TimeSpan.FromSeconds(5), $"timedOut {timedOut}, finished {finished}, {started.Elapsed}");
        return $"TimeoutAfter threw, IgnoreAfter returned false, {started.ElapsedMilliseconds} ms";
    });

    Check("echo over a loopback FiberSocket", () =>
    {
        using FiberSocket listener = FiberSocket.ListenTcp(new IPEndPoint(IPAddress.Loopback, 0));
        var server = Fiber.Spawn(() =>
        {
            using FiberSocket connection = listener.Accept();
            var buffer = new byte[256];
            int n;
            while ((n = connection.Receive(buffer)) > 0)
                connection.SendAll(buffer.AsSpan(0, n));
        });
        string reply;
        using (FiberSocket client = FiberSocket.ConnectTcp((IPEndPoint)listener.LocalEndPoint!))
        {
            byte[] message = "hello, fibers"u8.ToArray();
            client.SendAll(message);
            var back = new byte[message.Length];
            client.ReceiveExactly(back);
            reply = System.Text.Encoding.ASCII.GetString(back);
        }
        server.Join();
        Expect(reply == "hello, fibers", $"reply '{reply}'");
        return $"'{reply}'";
    });

    Check("native fiber (C against the package's headers)", () =>
    {
        IntPtr library = NativeLibrary.Load(entryLibrary);
        nint entry = NativeLibrary.GetExport(library, "consumer_native_entry");
        long result = NativeFiber.Spawn(entry, 15).Join();
        Expect(result == 15_001, $"returned {result}");
        return $"returned {result}";
    });
});

Console.WriteLine($"consumer checks: {passed} passed, {failed} failed");
return failed == 0 && passed == 6 ? 0 : 1;
