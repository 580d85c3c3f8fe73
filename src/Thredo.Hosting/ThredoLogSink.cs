using Microsoft.Extensions.Logging;
using Thredo.Kernel;

namespace Thredo.Hosting;

/// <summary>Where a hosted runtime's reports go: the <c>Thredo</c> logger, at the level each kind deserves.</summary>
internal static class ThredoLogSink
{
    /// <summary>The logger category of every Thredo report.</summary>
    internal const string Category = "Thredo";

    internal static Action<DiagnosticKind, string> For(ILogger logger) => (kind, message) =>
    {
        LogLevel level = kind switch
        {
            DiagnosticKind.Failure or DiagnosticKind.Deadlock => LogLevel.Error,
            DiagnosticKind.LongBlock or DiagnosticKind.Abandoned => LogLevel.Warning,
            _ => LogLevel.Information,
        };
#pragma warning disable CA2254, CA1848 // the runtime's reports are already formatted sentences, rare by nature
        logger.Log(level, message);
#pragma warning restore CA2254, CA1848
    };
}
