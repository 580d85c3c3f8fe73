using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Thredo.Hosting;

/// <summary>Registers Thredo with a Generic Host (<c>Host.CreateApplicationBuilder</c>, ASP.NET Core, a worker service).</summary>
public static class ThredoServiceCollectionExtensions
{
    /// <summary>
    /// Registers one <see cref="FiberHost"/> as a singleton, started with the application and stopped at
    /// its shutdown (fibers are cancelled, with <see cref="HostOptions.ShutdownTimeout"/> as the grace for
    /// their cleanup). Unhandled fiber failures and long-block warnings go to the <c>Thredo</c> logger.
    /// Inject <see cref="FiberHost"/> to spawn fibers or run them from async code with
    /// <see cref="FiberHost.RunAsync{T}(Func{T}, CancellationToken)"/>.
    /// </summary>
    /// <param name="services">The application's services.</param>
    /// <param name="options">The host's kernel settings; null for the defaults.</param>
    /// <returns><paramref name="services"/>, for chaining.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="services"/> is null.</exception>
    /// <exception cref="InvalidOperationException">Thredo was already registered with other options.</exception>
    public static IServiceCollection AddThredo(this IServiceCollection services, FiberOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ThredoRegistration registration = Register(services);
        if (options is not null)
        {
            if (registration.Options is not null && registration.Options != options)
                throw new InvalidOperationException("AddThredo was called twice with different FiberOptions. An application has one FiberHost: call AddThredo once.");
            registration.Options = options;
        }
        return services;
    }

    /// <summary>
    /// Registers <typeparamref name="TService"/> as a hosted service whose <c>Run</c> runs as a fiber of
    /// the application's <see cref="FiberHost"/> (registered with defaults if <see cref="AddThredo"/> was not called).
    /// </summary>
    /// <typeparam name="TService">The service; constructed by dependency injection, once.</typeparam>
    /// <param name="services">The application's services.</param>
    /// <returns><paramref name="services"/>, for chaining.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="services"/> is null.</exception>
    public static IServiceCollection AddFiberService<TService>(this IServiceCollection services) where TService : FiberService
    {
        ArgumentNullException.ThrowIfNull(services);
        Register(services);
        services.TryAddSingleton<TService>();
        services.AddHostedService(sp =>
        {
            TService service = sp.GetRequiredService<TService>();
            service.Attach(sp);
            return service;
        });
        return services;
    }

    /// <summary>The FiberHost and its lifetime, registered once, before any fiber service (so stopped after them).</summary>
    private static ThredoRegistration Register(IServiceCollection services)
    {
        if (services.FirstOrDefault(d => d.ServiceType == typeof(ThredoRegistration))?.ImplementationInstance is ThredoRegistration existing)
            return existing;
        var registration = new ThredoRegistration();
        services.AddSingleton(registration);
        services.AddSingleton(sp =>
        {
            ILogger logger = sp.GetService<ILoggerFactory>()?.CreateLogger(ThredoLogSink.Category) ?? NullLogger.Instance;
            return FiberHost.Start(registration.Options, ThredoLogSink.For(logger));
        });
        services.AddHostedService<ThredoHostLifetime>();
        return registration;
    }

    /// <summary>The options <see cref="AddThredo"/> was given, read when the host is first resolved.</summary>
    private sealed class ThredoRegistration
    {
        internal FiberOptions? Options;
    }
}
