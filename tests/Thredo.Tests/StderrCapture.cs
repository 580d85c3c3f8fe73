namespace Thredo.Tests;

/// <summary>
/// Captures what a runtime writes to stderr. Console.SetError is process-wide and test classes run in
/// parallel, so captures take turns: two overlapping ones would restore each other's writer and lose lines.
/// </summary>
internal static class StderrCapture
{
    private static readonly Lock Turn = new();

    /// <summary>Runs <paramref name="action"/> with stderr redirected and returns what was written.</summary>
    public static string Of(Action action)
    {
        lock (Turn)
        {
            var old = Console.Error;
            var sw = new StringWriter();
            Console.SetError(TextWriter.Synchronized(sw));
            try { action(); }
            finally { Console.SetError(old); }
            return sw.ToString();
        }
    }
}
