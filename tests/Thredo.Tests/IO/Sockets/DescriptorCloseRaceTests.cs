using Thredo.IO;

namespace Thredo.Tests.IO.Sockets;

/// <summary>
/// Closing a descriptor while fibers wait on it, from any thread and at any instant: every waiter gets
/// <see cref="ObjectDisposedException"/>, no count or registration is left behind, and the descriptor
/// number, once the OS reuses it, works on the same kernel.
/// </summary>
public class DescriptorCloseRaceTests
{
    [Fact]
    public void A_socket_disposed_from_a_plain_thread_at_random_instants_wakes_its_reader_with_ObjectDisposedException() =>
        K.Run(() =>
        {
            var random = new Random(12345);
            using FiberSocket listener = Net.Listen();
            for (int round = 0; round < 300; round++)
            {
                using FiberSocket client = Net.ConnectTo(listener);
                FiberSocket server = listener.Accept();
                int spin = random.Next(0, 20_000);
                var disposer = new Thread(() => { Thread.SpinWait(spin); server.Dispose(); });
                var reader = Fiber.Spawn(() => server.Receive(new byte[16]));
                disposer.Start();
                var e = Assert.Throws<FiberFailedException>(() => reader.Join());
                Assert.IsType<ObjectDisposedException>(e.InnerException);
                Fiber.RunBlocking(disposer.Join);

                // The number the OS hands out next (often the same) reads normally on this kernel.
                using FiberSocket peer = Net.ConnectTo(listener);
                using FiberSocket again = listener.Accept();
                peer.SendAll("x"u8);
                Assert.Equal(1, again.Receive(new byte[16]));
            }
        });

    [Fact]
    public void An_accept_ended_by_disposing_its_listener_leaves_deadlock_detection_on() =>
        Assert.Throws<FiberDeadlockException>(() => K.Run(() =>
        {
            FiberSocket listener = Net.Listen();
            var accepter = Fiber.Spawn(() => Assert.Throws<ObjectDisposedException>(() => listener.Accept()));
            K.UntilBlocked(accepter);
            listener.Dispose();
            accepter.Join();
            new FiberEvent().Wait();   // a real deadlock: nothing can set it
        }));

    [Fact]
    public void Several_fibers_waiting_on_one_socket_are_all_woken_by_its_dispose() =>
        K.Run(() =>
        {
            using FiberSocket listener = Net.Listen();
            using FiberSocket client = Net.ConnectTo(listener);
            FiberSocket server = listener.Accept();
            var readers = Enumerable.Range(0, 5).Select(_ => Fiber.Spawn(() => server.Receive(new byte[16]))).ToArray();
            K.UntilBlocked(readers);
            server.Dispose();
            foreach (Fiber r in readers)
                Assert.IsType<ObjectDisposedException>(Assert.Throws<FiberFailedException>(() => r.Join()).InnerException);
        });
}
