using System.Diagnostics;
using System.Net.Http;
using Thredo.IO;

namespace Thredo.Examples;

/// <summary>
/// thredo's <c>treq</c>: three GETs race in a <see cref="GroupWait.Any"/> group against a local server that
/// answers them after different delays. The first response wins; the group cancels the other two fibers
/// where they wait in <c>HttpClient.Send</c>, and their connections are closed.
/// </summary>
internal sealed class Treq : Example
{
    /// <summary>How long the server takes to answer each request, in ms.</summary>
    private static readonly int[] Delays = [600, 150, 1200];

    public override string Name => "treq";

    public override string Description => "three concurrent HTTP GETs in a GroupWait.Any group: the first wins, the others are cancelled";

    public override int Order => 60;

    public override int Run(string[] args)
    {
        Fiber.Run(() =>
        {
            using var server = new LocalHttpServer();
            using HttpClient client = FiberHttp.CreateClient();
            var clock = Stopwatch.StartNew();
            using (var group = new FiberGroup(GroupWait.Any))
            {
                foreach (int ms in Delays)
                {
                    string url = server.Url($"/delay/{ms}");
                    group.Spawn(() =>
                    {
                        Console.WriteLine($"GET {url}");
                        try
                        {
                            using HttpResponseMessage response = client.Send(new HttpRequestMessage(HttpMethod.Get, url));
                            using var reader = new StreamReader(response.Content.ReadAsStream());   // buffered by Send
                            string body = reader.ReadToEnd().TrimEnd();
                            Console.WriteLine($"  {url}: {(int)response.StatusCode} after {clock.ElapsedMilliseconds} ms");
                            return body;
                        }
                        catch (FiberCancelledException)
                        {
                            Console.WriteLine($"  {url}: cancelled after {clock.ElapsedMilliseconds} ms");
                            throw;
                        }
                    }, $"GET /delay/{ms}");
                }
                group.Join();
                Console.WriteLine($"Winner: '{group.Completed!.Name}' said \"{group.Result}\"");
                Console.WriteLine($"The others: {string.Join(", ", group.Fibers.Where(f => f != group.Completed).Select(f => $"'{f.Name}' {f.State}"))}");
            }
        });
        return 0;
    }
}
