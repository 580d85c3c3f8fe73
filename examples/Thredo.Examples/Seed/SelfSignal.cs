using System.Globalization;
using Thredo.IO;

namespace Thredo.Examples;

/// <summary>For the self-test modes of echoss and tut: send a signal to this very process, as Ctrl-C would.</summary>
internal static class SelfSignal
{
    /// <summary>Runs <c>kill -NAME pid</c> (on a fiber, through <see cref="FiberProcess"/>); <paramref name="name"/> is e.g. "INT".</summary>
    public static void Send(string name)
    {
        ProcessResult r = FiberProcess.Run("kill", $"-{name}", Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
        if (r.ExitCode != 0)
            throw new InvalidOperationException($"kill -{name} failed ({r.ExitCode}): {r.StandardError.Trim()}");
    }
}
