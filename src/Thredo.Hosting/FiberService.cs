using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Thredo.Hosting;

/// <summary>
/// The blocking-style twin of <see cref="BackgroundService"/>: <see cref="Run"/> runs as a fiber of the
/// application's <see cref="FiberHost"/> from the Generic Host's start, and is cancelled at its stop (it
/// sees <see cref="FiberCancelledException"/> at its next blocking operation, and its cleanup runs).
/// Register it with <see cref="ThredoServiceCollectionExtensions.AddFiberService{TService}(IServiceCollection)"/>.
/// </summary>
/// <remarks>
/// A failure of <see cref="Run"/> is logged (category <c>Thredo</c>) and, as a <see cref="BackgroundService"/>
/// failure does by default (<see cref="HostOptions.BackgroundServiceExceptionBehavior"/>), stops the application.
/// </remarks>
public abstract class FiberService : IHostedService, IDisposable
{
    private FiberHost? _host;
    private ILogger? _logger;
    private IHostApplicationLifetime? _lifetime;
    private BackgroundServiceExceptionBehavior _onFailure;
    private CancellationTokenSource? _stopping;
    private Task? _run;

    /// <summary>The service's body, run as a fiber: blocking-style code that returns when its work is done or throws when cancelled.</summary>
    protected abstract void Run();

    /// <summary>The task of the running fiber (null before <see cref="StartAsync"/>): completed, faulted or cancelled with it.</summary>
    public Task? ExecuteTask => _run;

    /// <summary>Wires the service to the application's host (done by <c>AddFiberService</c>).</summary>
    internal void Attach(IServiceProvider services)
    {
        _host = services.GetRequiredService<FiberHost>();
        _logger = services.GetRequiredService<ILoggerFactory>().CreateLogger(ThredoLogSink.Category);
        _lifetime = services.GetService<IHostApplicationLifetime>();
        _onFailure = services.GetService<IOptions<HostOptions>>()?.Value.BackgroundServiceExceptionBehavior ?? BackgroundServiceExceptionBehavior.StopHost;
    }

    /// <summary>Starts <see cref="Run"/> as a fiber named after the service's type, and returns at once.</summary>
    /// <param name="cancellationToken">The host's start token (starting a fiber does not wait, so it is not used).</param>
    /// <returns>A completed task.</returns>
    /// <exception cref="InvalidOperationException">The service was not registered with <c>AddFiberService</c>.</exception>
    public virtual Task StartAsync(CancellationToken cancellationToken)
    {
        FiberHost host = _host ?? throw new InvalidOperationException(
            $"{GetType().Name} was not registered with services.AddFiberService<{GetType().Name}>(), which gives it the application's FiberHost.");
        _stopping = new CancellationTokenSource();
        _run = host.RunAsync(() => { Run(); return 0; }, GetType().Name, _stopping.Token);
        _ = _run.ContinueWith(OnFailed, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        return Task.CompletedTask;
    }

    private void OnFailed(Task run)
    {
        Exception failure = run.Exception!.InnerException ?? run.Exception;
#pragma warning disable CA1848 // once per failed service
        _logger!.LogError(failure, "Thredo: fiber service {Service} failed.", GetType().Name);
#pragma warning restore CA1848
        if (_onFailure == BackgroundServiceExceptionBehavior.StopHost)
            _lifetime?.StopApplication();
    }

    /// <summary>Cancels the fiber and waits until it has ended, or until <paramref name="cancellationToken"/> says the host will wait no longer.</summary>
    /// <param name="cancellationToken">Fires when the host's shutdown timeout has passed.</param>
    /// <returns>A task that completes when the fiber has ended (whatever its outcome) or the wait was given up.</returns>
    public virtual async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_run is null)
            return;
        await _stopping!.CancelAsync().ConfigureAwait(false);
        try
        {
            await _run.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // the fiber's own outcome was logged by OnFailed; stopping only waits for its end
        catch (Exception) when (_run.IsCompleted || cancellationToken.IsCancellationRequested)
#pragma warning restore CA1031
        {
        }
    }

    /// <summary>Cancels the fiber if it still runs and releases the service's token source.</summary>
    public virtual void Dispose()
    {
        _stopping?.Cancel();
        _stopping?.Dispose();
        GC.SuppressFinalize(this);
    }
}
