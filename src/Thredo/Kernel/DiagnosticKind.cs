namespace Thredo.Kernel;

/// <summary>What a runtime report is about, so a host can log it at the right level.</summary>
internal enum DiagnosticKind
{
    /// <summary>A fiber (or a handler, a callback) failed and nobody observed it: an error.</summary>
    Failure,
    /// <summary>A fiber held its kernel too long, or slept in foreign code with it: a warning.</summary>
    LongBlock,
    /// <summary>Every fiber waited on something nothing could satisfy: an error.</summary>
    Deadlock,
    /// <summary>A host stopped with fibers that never ended: a warning.</summary>
    Abandoned,
    /// <summary>Anything else worth a line (a retried accept, a limit near): information.</summary>
    Notice,
}
