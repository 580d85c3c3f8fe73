using System.Net.Http;
using Thredo.IO;

namespace Thredo.Examples;

/// <summary>
/// <c>http-get URL</c>: a synchronous <c>HttpClient.Send</c> on a fiber (a <see cref="FiberHttp"/> client),
/// printing the status, the headers and the body's length. Without a URL it starts a local server and
/// fetches from it, so it runs offline.
/// </summary>
internal sealed class HttpGet : Example
{
    public override string Name => "http-get";

    public override string Description => "http-get [URL]: GET with FiberHttp on a fiber, print status, headers and body length (no URL: a local server)";

    public override int Order => 61;

    public override int Run(string[] args)
    {
        if (args.Length > 1 || (args.Length == 1 && !Uri.TryCreate(args[0], UriKind.Absolute, out _)))
        {
            Console.Error.WriteLine("usage: http-get [URL]");
            return 2;
        }
        return Fiber.Run(() =>
        {
            using LocalHttpServer? server = args.Length == 0 ? new LocalHttpServer() : null;
            string url = args.Length == 1 ? args[0] : server!.Url("/index.txt");
            using HttpClient client = FiberHttp.CreateClient();
            try
            {
                using HttpResponseMessage response = Fiber.TimeoutAfter(TimeSpan.FromSeconds(30),
                    () => client.Send(new HttpRequestMessage(HttpMethod.Get, url)));
                Console.WriteLine($"GET {url}");
                Console.WriteLine($"HTTP/{response.Version} {(int)response.StatusCode} {response.ReasonPhrase}");
                foreach (var header in response.Headers.Concat(response.Content.Headers))
                    Console.WriteLine($"{header.Key}: {string.Join(", ", header.Value)}");
                using Stream body = response.Content.ReadAsStream();
                Console.WriteLine($"body: {body.Length} bytes");
                return response.IsSuccessStatusCode ? 0 : 1;
            }
            catch (Exception e) when (e is HttpRequestException or FiberTimeoutException)
            {
                Console.Error.WriteLine($"http-get: {url}: {e.Message}");
                return 1;
            }
        });
    }
}
