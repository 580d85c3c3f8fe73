using System.Runtime.InteropServices;
using Thredo.Examples.CLibraries;
using Thredo.Native;

namespace Thredo.Tests.Native;

/// <summary>
/// Unmodified libcurl (Debian's libcurl.so.4) on native fibers, hooked by <see cref="NativeFiber.LoadLibrary"/>,
/// against a local <see cref="DelayedHttpServer"/> on the same runtime.
/// </summary>
public class CurlTests
{
    private static LibCurl Curl()
    {
        try
        {
            return LibCurl.Instance;
        }
        catch (DllNotFoundException e)
        {
            Assert.Fail($"libcurl.so.4 is missing: install the Debian package libcurl4 (.ci/run does). {e.Message}");
            throw;
        }
    }

    private static int Perform(LibCurl curl, LibCurl.Transfer t) => (int)NativeFiber.Call(curl.EasyPerform, t.Easy).Join();

    [Fact]
    public void Transfers_that_complete_only_when_all_are_in_flight_at_once_all_complete_on_one_kernel()
    {
        const int count = 100;
        LibCurl curl = Curl();
        K.Run(() =>
        {
            var server = DelayedHttpServer.Start();
            var transfers = Enumerable.Range(0, count).Select(i => curl.NewTransfer(server.GateUrl(count, i))).ToList();
            // Each response waits for all 100 requests: a curl_easy_perform that blocked its thread would deadlock them.
            var fibers = transfers.Select(t => NativeFiber.Call(curl.EasyPerform, t.Easy)).ToList();
            Fiber.TimeoutAfter(TimeSpan.FromSeconds(60), () =>
            {
                for (int i = 0; i < count; i++)
                {
                    Assert.Equal(LibCurl.CURLE_OK, (int)fibers[i].Join());
                    Assert.Equal(200, transfers[i].ResponseCode);
                    Assert.Equal($"hello {i}", transfers[i].Body());
                }
            });
            // (Answered is not checked: the server counts a response after writing it, so a client may
            // finish first.)
            Assert.Equal(count, server.MaxInFlight);
            transfers.ForEach(t => t.Dispose());
            server.Stop();
        });
    }

    [Fact]
    public void A_transfer_cancelled_mid_way_ends_cancelled_and_the_next_one_works()
    {
        LibCurl curl = Curl();
        K.Run(() =>
        {
            var server = DelayedHttpServer.Start();
            using var slow = curl.NewTransfer(server.Url(60_000, 1));
            Fiber<long> f = NativeFiber.Call(curl.EasyPerform, slow.Easy);
            while (server.InFlight == 0)   // the request has reached the server: the transfer is mid-way
                Fiber.Sleep(K.Ms(2));
            f.Cancel();
            Assert.Equal(FiberState.Cancelled, f.State);
            Assert.IsType<FiberCancelledException>(Assert.Throws<FiberFailedException>(() => f.Join()).InnerException);
            Assert.Equal(0, server.Answered);

            using var next = curl.NewTransfer(server.Url(1, 2));
            Assert.Equal(LibCurl.CURLE_OK, Perform(curl, next));
            Assert.Equal("hello 2", next.Body());
            server.Stop();
        });
    }

    [Fact]
    public void A_curl_timeout_fires_through_the_hooked_poll_while_other_transfers_complete()
    {
        LibCurl curl = Curl();
        K.Run(() =>
        {
            var server = DelayedHttpServer.Start();
            using var slow = curl.NewTransfer(server.Url(60_000, 1), timeoutMs: 200);
            using var quick = curl.NewTransfer(server.Url(10, 2));
            Fiber<long> timedOut = NativeFiber.Call(curl.EasyPerform, slow.Easy);
            Fiber<long> done = NativeFiber.Call(curl.EasyPerform, quick.Easy);
            Assert.Equal(LibCurl.CURLE_OK, (int)done.Join());
            Assert.Equal(LibCurl.CURLE_OPERATION_TIMEDOUT, (int)timedOut.Join());
            Assert.Equal(0, slow.ResponseCode);
            Assert.Equal("hello 2", quick.Body());
            server.Stop();
        });
    }

    [Fact]
    public void The_hooked_library_called_off_a_native_fiber_works_as_before()
    {
        LibCurl curl = Curl();
        K.Run(() =>
        {
            var server = DelayedHttpServer.Start();
            using var t = curl.NewTransfer(server.Url(5, 7));
            // A managed fiber's own thread, off the baton: the hooks pass straight to libc.
            Assert.Equal(LibCurl.CURLE_OK, Fiber.RunBlocking(() => curl.PerformOnThisThread(t)));
            Assert.Equal("hello 7", t.Body());
            server.Stop();
        });
    }
}
