using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Thredo.Tests.IO.Tls;

/// <summary>Certificates made by the tests themselves (no files, no network).</summary>
internal static class TestCertificates
{
    /// <summary>A self-signed server certificate for "localhost", valid from a few minutes ago for a day.</summary>
    public static X509Certificate2 SelfSignedLocalhost()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], critical: false));
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName("localhost");
        request.CertificateExtensions.Add(san.Build());
        using X509Certificate2 made = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        // Export and re-import so the private key is usable by SslStream on every platform.
        return X509CertificateLoader.LoadPkcs12(made.Export(X509ContentType.Pfx), null);
    }
}
