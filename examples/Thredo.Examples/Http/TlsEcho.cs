using System.Net;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Thredo.IO;

namespace Thredo.Examples;

/// <summary>
/// A TLS line echo: a self-signed certificate made at start, a <see cref="FiberServer"/> whose handlers wrap
/// each <see cref="FiberStream"/> in a server <see cref="SslStream"/>, and a client fiber doing the same as
/// a client. Both sides use SslStream's synchronous API; every handshake step, read and write parks only
/// its own fiber.
/// </summary>
internal sealed class TlsEcho : Example
{
    private static readonly string[] Lines = ["hello", "over TLS", "on fibers"];

    public override string Name => "tls-echo";

    public override string Description => "TLS echo over FiberStream + SslStream, both sides on fibers, with a self-signed certificate made at start";

    public override int Order => 62;

    public override int Run(string[] args)
    {
        using X509Certificate2 certificate = SelfSigned("localhost");
        Console.WriteLine($"certificate: {certificate.Subject}, thumbprint {certificate.Thumbprint}");
        Fiber.Run(() =>
        {
            FiberSocket listener = FiberSocket.ListenTcp(new IPEndPoint(IPAddress.Loopback, 0));
            int port = ((IPEndPoint)listener.LocalEndPoint!).Port;
            Fiber server = Fiber.Spawn(() => FiberServer.ServeTcp(listener, (client, remote) =>
            {
                using var tls = new SslStream(client.GetStream());
                tls.AuthenticateAsServer(certificate);
                Console.WriteLine($"server: {remote} connected, {tls.SslProtocol}, {tls.NegotiatedCipherSuite}");
                var reader = new StreamReader(tls, Encoding.UTF8);
                while (reader.ReadLine() is string line)
                {
                    tls.Write(Encoding.UTF8.GetBytes($"echo: {line}\n"));
                }
                Console.WriteLine($"server: {remote} closed");
            }), "tls echo server");

            using (FiberSocket socket = FiberSocket.ConnectTcp("127.0.0.1", port))
            using (var tls = new SslStream(socket.GetStream(), leaveInnerStreamOpen: false,
                       (_, cert, _, _) => cert?.GetCertHashString() == certificate.GetCertHashString()))   // trust exactly our certificate
            {
                tls.AuthenticateAsClient("localhost");
                Console.WriteLine($"client: connected, server certificate {tls.RemoteCertificate!.Subject}");
                var reader = new StreamReader(tls, Encoding.UTF8);
                foreach (string line in Lines)
                {
                    tls.Write(Encoding.UTF8.GetBytes(line + "\n"));
                    Console.WriteLine($"client: sent '{line}', got '{reader.ReadLine()}'");
                }
            }
            Fiber.Sleep(TimeSpan.FromMilliseconds(50));   // let the server print its goodbye
            server.Cancel();
        });
        return 0;
    }

    /// <summary>A self-signed server certificate for <paramref name="host"/>, valid for a day.</summary>
    private static X509Certificate2 SelfSigned(string host)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={host}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], critical: false));
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName(host);
        request.CertificateExtensions.Add(names.Build());
        using X509Certificate2 made = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        // Through PKCS#12 and back, so SslStream can use the private key on every platform.
        return X509CertificateLoader.LoadPkcs12(made.Export(X509ContentType.Pfx), null);
    }
}
