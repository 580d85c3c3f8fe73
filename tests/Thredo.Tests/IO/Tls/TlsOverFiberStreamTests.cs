using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Thredo.IO;
using Thredo.Tests.IO.Sockets;

namespace Thredo.Tests.IO.Tls;

/// <summary>
/// <see cref="SslStream"/> over a <see cref="FiberStream"/>, both sides on fibers of one kernel, with the
/// synchronous API: the handshake and every read and write park only their own fiber.
/// </summary>
public class TlsOverFiberStreamTests
{
    private static X509Certificate2 SelfSigned() => TestCertificates.SelfSignedLocalhost();

    [Fact]
    public void A_TLS_echo_runs_on_fibers_with_the_synchronous_SslStream_API() =>
        K.Run(() =>
        {
            using X509Certificate2 certificate = SelfSigned();
            using FiberSocket listener = Net.Listen();
            var trace = new Trace();
            Fiber server = Fiber.Spawn(() =>
            {
                using FiberSocket client = listener.Accept();
                using var tls = new SslStream(client.GetStream());
                tls.AuthenticateAsServer(certificate);
                var buffer = new byte[1024];
                int n;
                while ((n = tls.Read(buffer)) > 0)
                    tls.Write(buffer.AsSpan(0, n));
            });
            var ticks = 0;
            Fiber ticker = Fiber.Spawn(() => { while (true) { Fiber.Sleep(K.Ms(1)); ticks++; } });
            using (FiberSocket socket = Net.ConnectTo(listener))
            using (var tls = new SslStream(socket.GetStream(), leaveInnerStreamOpen: false, (_, cert, _, _) => cert?.GetCertHashString() == certificate.GetCertHashString()))
            {
                tls.AuthenticateAsClient("localhost");
                trace.Add($"protocol {(tls.SslProtocol >= System.Security.Authentication.SslProtocols.Tls12 ? "TLS 1.2+" : tls.SslProtocol.ToString())}");
                foreach (string line in new[] { "hello", "over", "tls" })
                {
                    tls.Write(Encoding.UTF8.GetBytes(line));
                    var buffer = new byte[64];
                    int n = tls.Read(buffer);
                    trace.Add(Encoding.UTF8.GetString(buffer, 0, n));
                }
            }
            server.Join();
            ticker.Cancel();
            trace.Is("protocol TLS 1.2+", "hello", "over", "tls");
            Assert.True(ticks > 0);   // the ticker ran while the handshake and the reads waited
        });
}
