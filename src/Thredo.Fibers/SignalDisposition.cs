using System.Globalization;
using System.Runtime.InteropServices;

namespace Thredo.Fibers;

/// <summary>
/// Whether a signal's disposition in this process is SIG_IGN, read from the <c>SigIgn</c> mask of
/// <c>/proc/self/status</c>. .NET installs no handler for an ignored signal (it keeps the disposition a
/// parent chose, such as a shell starting a background job), so a registration for it never fires.
/// </summary>
internal static class SignalDisposition
{
    /// <summary>
    /// True if <paramref name="signal"/> (a named <see cref="PosixSignal"/> or a raw Linux number cast to
    /// one) is ignored now. False off Linux, for a signal with no Linux number, or if the mask cannot be read.
    /// </summary>
    internal static bool IsIgnored(PosixSignal signal)
    {
        if (!OperatingSystem.IsLinux() || LinuxNumber(signal) is not int number)
            return false;
        string status;
        try
        {
            status = File.ReadAllText("/proc/self/status");
        }
        catch (IOException)
        {
            return false;
        }
        return ParseIgnoredMask(status) is ulong mask && number <= 64 && (mask & (1UL << (number - 1))) != 0;
    }

    /// <summary>The <c>SigIgn:</c> mask of a <c>/proc/&lt;pid&gt;/status</c> text (bit n-1 for signal n); null if absent or malformed.</summary>
    internal static ulong? ParseIgnoredMask(string status)
    {
        foreach (string line in status.Split('\n'))
        {
            if (line.StartsWith("SigIgn:", StringComparison.Ordinal))
                return ulong.TryParse(line.AsSpan(7).Trim(), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out ulong mask) ? mask : null;
        }
        return null;
    }

    /// <summary>The Linux number of <paramref name="signal"/>: named signals mapped, positive raw numbers kept.</summary>
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    internal static int? LinuxNumber(PosixSignal signal) => signal switch
    {
        PosixSignal.SIGHUP => 1,
        PosixSignal.SIGINT => 2,
        PosixSignal.SIGQUIT => 3,
        PosixSignal.SIGTERM => 15,
        PosixSignal.SIGCHLD => 17,
        PosixSignal.SIGCONT => 18,
        PosixSignal.SIGTSTP => 20,
        PosixSignal.SIGTTIN => 21,
        PosixSignal.SIGTTOU => 22,
        PosixSignal.SIGWINCH => 28,
        _ => (int)signal > 0 ? (int)signal : null,
    };
}
