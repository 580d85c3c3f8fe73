using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Thredo.Hosting;

/// <summary>
/// Starts the application's <see cref="FiberHost"/> with the Generic Host and stops it at shutdown:
/// every fiber is cancelled, with the host's shutdown timeout as the grace for their cleanup. Registered
/// before any fiber service, it is stopped after them (hosted services stop in reverse order).
/// </summary>
internal sealed class ThredoHostLifetime(FiberHost host, IOptions<HostOptions> hostOptions) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;   // resolving the host started it

    public Task StopAsync(CancellationToken cancellationToken) => host.StopAsync(hostOptions.Value.ShutdownTimeout, cancellationToken);
}
