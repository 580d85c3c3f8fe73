using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Thredo.Fibers.Tests;

/// <summary>Readiness, one-shot arming, wake and errors of <c>thredo_poller_*</c> on a loopback socket pair.</summary>
public sealed class PollerTests : IDisposable
{
    private const long Ms = 1_000_000;
    private readonly Socket _left;
    private readonly Socket _right;
    private readonly PollerHandle _poller = PollerHandle.Create();
    private readonly PollEvent[] _events = new PollEvent[8];

    public PollerTests()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        _left = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        _left.Connect(listener.LocalEndPoint!);
        _right = listener.Accept();
        // Non-blocking, and never used with .NET's own async I/O, so the runtime's poller does
        // not register these descriptors too.
        _left.Blocking = false;
        _right.Blocking = false;
    }

    public void Dispose()
    {
        _poller.Dispose();
        _left.Dispose();
        _right.Dispose();
    }

    private IntPtr Fd => _left.Handle;

    private int Wait(long timeoutNs) => _poller.Wait(_events, timeoutNs);

    [Fact]
    public void Connected_socket_is_writable_at_once()
    {
        _poller.Add(Fd, PollEvents.Writable, token: 7);
        Assert.Equal(1, Wait(1_000 * Ms));
        Assert.Equal(7ul, _events[0].Token);
        Assert.True(_events[0].Events.HasFlag(PollEvents.Writable), $"events were {_events[0].Events}");
    }

    [Fact]
    public void Socket_is_readable_only_after_the_peer_sends()
    {
        _poller.Add(Fd, PollEvents.Readable, token: 9);
        Assert.Equal(0, Wait(0));
        Assert.Equal(3, _right.Send([1, 2, 3]));
        Assert.Equal(1, Wait(1_000 * Ms));
        Assert.Equal(9ul, _events[0].Token);
        Assert.True(_events[0].Events.HasFlag(PollEvents.Readable), $"events were {_events[0].Events}");
    }

    [Fact]
    public void Readiness_is_reported_once_until_modify_rearms()
    {
        _poller.Add(Fd, PollEvents.Readable, token: 11);
        _right.Send([42]);
        Assert.Equal(1, Wait(1_000 * Ms));

        // The byte is still unread (level-triggered would report it again), but the arming was used up.
        Assert.Equal(0, Wait(50 * Ms));

        _poller.Modify(Fd, PollEvents.Readable, token: 12);
        Assert.Equal(1, Wait(1_000 * Ms));
        Assert.Equal(12ul, _events[0].Token);
        Assert.True(_events[0].Events.HasFlag(PollEvents.Readable));
    }

    [Fact]
    public void Peer_close_reports_readable_or_hangup()
    {
        _poller.Add(Fd, PollEvents.Readable, token: 13);
        _right.Shutdown(SocketShutdown.Both);
        Assert.Equal(1, Wait(1_000 * Ms));
        Assert.True((_events[0].Events & (PollEvents.Readable | PollEvents.HangUp)) != 0, $"events were {_events[0].Events}");
    }

    [Fact]
    public void Removed_descriptor_is_not_reported()
    {
        _poller.Add(Fd, PollEvents.Writable, token: 14);
        Assert.Equal(0, _poller.Remove(Fd));
        Assert.Equal(0, Wait(20 * Ms));
    }

    [Fact]
    public void Wake_from_another_thread_ends_an_infinite_wait()
    {
        int result = -1;
        var waiter = new Thread(() => result = Wait(-1)) { IsBackground = true };
        var watch = Stopwatch.StartNew();
        waiter.Start();
        Thread.Sleep(50);
        _poller.Wake();
        // A hung waiter is left behind (background) rather than destroying the poller under it.
        Assert.True(waiter.Join(TimeSpan.FromSeconds(10)), "the wake did not end Wait(-1)");
        Assert.Equal(0, result);
        Assert.True(watch.ElapsedMilliseconds >= 40, $"Wait(-1) returned after {watch.ElapsedMilliseconds} ms, before the wake");
    }

    [Fact]
    public void Wake_before_wait_ends_the_next_wait()
    {
        _poller.Wake();
        var watch = Stopwatch.StartNew();
        Assert.Equal(0, Wait(10_000 * Ms));
        Assert.True(watch.ElapsedMilliseconds < 5_000, "the wake given before the wait was lost");
    }

    [Fact]
    public void Timeout_returns_zero_after_the_timeout()
    {
        var watch = Stopwatch.StartNew();
        Assert.Equal(0, Wait(30 * Ms));
        Assert.True(watch.ElapsedMilliseconds >= 25, $"a 30 ms wait returned after {watch.ElapsedMilliseconds} ms");
    }

    [Fact]
    public void Remove_of_an_unregistered_descriptor_returns_a_negative_errno()
    {
        int result = _poller.Remove(Fd);
        Assert.True(result < 0, $"remove returned {result}");
        if (OperatingSystem.IsLinux())
            Assert.Equal(-Errno.ENOENT, result);
    }

    [Fact]
    public void Modify_of_an_unregistered_descriptor_throws()
    {
        Assert.Throws<InvalidOperationException>(() => _poller.Modify(Fd, PollEvents.Readable, 1));
    }

    [Fact]
    public void Add_twice_throws()
    {
        _poller.Add(Fd, PollEvents.Readable, token: 1);
        InvalidOperationException e = Assert.Throws<InvalidOperationException>(() => _poller.Add(Fd, PollEvents.Readable, token: 2));
        Assert.Contains("thredo_poller_add", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Two_descriptors_report_their_own_tokens()
    {
        _poller.Add(_left.Handle, PollEvents.Writable, token: 21);
        _poller.Add(_right.Handle, PollEvents.Writable, token: 22);
        var tokens = new HashSet<ulong>();
        var watch = Stopwatch.StartNew();
        while (tokens.Count < 2 && watch.ElapsedMilliseconds < 2_000)
        {
            int n = Wait(100 * Ms);
            for (int i = 0; i < n; i++)
                tokens.Add(_events[i].Token);
        }
        Assert.Equal([21ul, 22ul], tokens.Order());
    }
}
