using System.Net;
using Thredo.IO;

namespace Thredo.Tests.IO.Sockets;

/// <summary>Loopback listeners on free ports, and test data.</summary>
internal static class Net
{
    /// <summary>A TCP listener on 127.0.0.1 with a port the OS picked.</summary>
    public static FiberSocket Listen(int backlog = 512) => FiberSocket.ListenTcp(new IPEndPoint(IPAddress.Loopback, 0), backlog);

    /// <summary>The port a socket is bound to.</summary>
    public static int Port(this FiberSocket socket) => ((IPEndPoint)socket.LocalEndPoint!).Port;

    /// <summary>Connects to a loopback listener.</summary>
    public static FiberSocket ConnectTo(FiberSocket listener) => FiberSocket.ConnectTcp("127.0.0.1", listener.Port());

    /// <summary>Deterministic pseudo-random bytes.</summary>
    public static byte[] Data(int size, int seed = 1)
    {
        var data = new byte[size];
        new Random(seed).NextBytes(data);
        return data;
    }

    /// <summary>Reads until end of stream.</summary>
    public static byte[] ReceiveToEnd(FiberSocket socket)
    {
        var all = new MemoryStream();
        var buf = new byte[64 * 1024];
        int n;
        while ((n = socket.Receive(buf)) > 0)
            all.Write(buf, 0, n);
        return all.ToArray();
    }

    /// <summary>Echoes everything received until end of stream, then closes.</summary>
    public static void Echo(FiberSocket client)
    {
        using (client)
        {
            var buf = new byte[64 * 1024];
            int n;
            while ((n = client.Receive(buf)) > 0)
                client.SendAll(buf.AsSpan(0, n));
        }
    }

    /// <summary>A fresh temporary directory for Unix socket files.</summary>
    public static string TempDir() => Directory.CreateTempSubdirectory("thredo-sock-").FullName;
}
