using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Thredo.Hosting.Tests;

/// <summary>An <see cref="ILoggerProvider"/> that keeps every entry, for asserting what was logged.</summary>
internal sealed class CapturingLoggerProvider : ILoggerProvider
{
    internal readonly ConcurrentQueue<(string Category, LogLevel Level, string Message, Exception? Exception)> Entries = new();

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose() { }

    private sealed class Logger(CapturingLoggerProvider owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            owner.Entries.Enqueue((category, logLevel, formatter(state, exception), exception));
    }
}
