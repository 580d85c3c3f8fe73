using System.Net;
using System.Net.Http;
using System.Runtime.ExceptionServices;

namespace Thredo.IO;

/// <summary>
/// The body of a response a fiber received through <see cref="FiberHttp"/>: the handler's own content,
/// whose synchronous reads rethrow a fiber's interrupt as itself.
/// </summary>
/// <remarks>
/// Discussion: under TLS a body read goes through <see cref="System.Net.Security.SslStream"/>, which wraps
/// whatever its inner stream throws (here the <see cref="FiberCancelledException"/> or
/// <see cref="FiberTimeoutException"/> of <see cref="HttpConnectionStream"/>) in an
/// <see cref="IOException"/>, and <see cref="HttpContent"/> wraps that again in an
/// <see cref="HttpRequestException"/>. A fiber must see its own interrupt, so the synchronous paths
/// (<c>HttpContent.LoadIntoBuffer</c>, which <see cref="HttpClient.Send(HttpRequestMessage)"/>
/// uses, and reads of <see cref="HttpContent.ReadAsStream()"/>) unwrap it. The async paths are left alone:
/// they never run a fiber read.
/// </remarks>
internal sealed class FiberResponseContent : HttpContent
{
    /// <summary>The handler's content; owned.</summary>
    private readonly HttpContent _inner;

    internal FiberResponseContent(HttpContent inner)
    {
        _inner = inner;
        foreach (KeyValuePair<string, IEnumerable<string>> header in inner.Headers)
            Headers.TryAddWithoutValidation(header.Key, header.Value);
    }

    /// <summary>The fiber's interrupt inside <paramref name="e"/>'s chain of inner exceptions, if any.</summary>
    internal static OperationCanceledException? FindInterrupt(Exception e)
    {
        for (Exception? x = e; x is not null; x = x.InnerException)
        {
            if (x is FiberCancelledException or FiberTimeoutException)
                return (OperationCanceledException)x;
        }
        return null;
    }

    /// <inheritdoc/>
    protected override void SerializeToStream(Stream stream, TransportContext? context, CancellationToken cancellationToken)
    {
        try
        {
            _inner.CopyTo(stream, context, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException && FindInterrupt(e) is { } interrupt)
        {
            ExceptionDispatchInfo.Throw(interrupt);
        }
    }

    /// <inheritdoc/>
    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
        _inner.CopyToAsync(stream, context);

    /// <inheritdoc/>
    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken) =>
        _inner.CopyToAsync(stream, context, cancellationToken);

    /// <inheritdoc/>
    protected override Stream CreateContentReadStream(CancellationToken cancellationToken) =>
        new ResponseBodyStream(_inner.ReadAsStream(cancellationToken));

    /// <inheritdoc/>
    protected override Task<Stream> CreateContentReadStreamAsync() => _inner.ReadAsStreamAsync();

    /// <inheritdoc/>
    protected override Task<Stream> CreateContentReadStreamAsync(CancellationToken cancellationToken) =>
        _inner.ReadAsStreamAsync(cancellationToken);

    /// <summary>The length the headers announce, if they do (the inner content knows no more).</summary>
    protected override bool TryComputeLength(out long length)
    {
        length = 0;
        return false;
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing)
            _inner.Dispose();
        base.Dispose(disposing);
    }
}
