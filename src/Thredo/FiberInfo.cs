using System.Text;

namespace Thredo;

/// <summary>
/// One live fiber as a snapshot saw it (<see cref="FiberHost.Snapshot"/>, <see cref="Fiber.Snapshot"/>):
/// what it is, what it waits on in words, and for how long.
/// </summary>
/// <param name="Id">The fiber's id (<see cref="Fiber.Id"/>).</param>
/// <param name="Name">The fiber's name (<see cref="Fiber.Name"/>).</param>
/// <param name="State">Its state when the snapshot was taken.</param>
/// <param name="WaitingOn">What a blocked fiber waits on ("Get on FiberQueue(...)", "Receive on FiberSocket ...",
/// "Sleep until 12:00:01.250", "Join of fiber 12 'worker'", "foreign code ...", and while a runtime of the process has <see cref="FiberOptions.LongBlockWarning"/> set,
/// "Monitor.Enter (lock held by fiber 4 'b')" for a fiber handed off while waiting for a C# lock); null unless blocked.</param>
/// <param name="WaitingFor">How long it has been blocked; zero unless blocked.</param>
/// <param name="StackTrace">Where it blocked, with <see cref="FiberOptions.CaptureStacks"/>; otherwise null.</param>
public sealed record FiberInfo(long Id, string Name, FiberState State, string? WaitingOn, TimeSpan WaitingFor, string? StackTrace)
{
    /// <summary>
    /// Renders fibers as an aligned table (id, name, state, waiting for, waiting on), one line each,
    /// with each captured stack indented below its fiber: the <c>ps</c> of a live runtime.
    /// </summary>
    /// <param name="fibers">The fibers, as a snapshot returned them.</param>
    /// <returns>The table, ending with a newline; a header only when there are none.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="fibers"/> is null.</exception>
    public static string FormatTable(IEnumerable<FiberInfo> fibers)
    {
        ArgumentNullException.ThrowIfNull(fibers);
        var rows = fibers.Select(f => (f, Id: f.Id.ToString(System.Globalization.CultureInfo.InvariantCulture),
            For: f.WaitingOn is null ? "" : FormatSpan(f.WaitingFor))).ToList();
        int idW = Math.Max(2, rows.Select(r => r.Id.Length).DefaultIfEmpty().Max());
        int nameW = Math.Min(32, Math.Max(4, rows.Select(r => r.f.Name.Length).DefaultIfEmpty().Max()));
        int forW = Math.Max(7, rows.Select(r => r.For.Length).DefaultIfEmpty().Max());
        var sb = new StringBuilder();
        sb.Append("ID".PadLeft(idW)).Append("  ").Append("NAME".PadRight(nameW)).Append("  ").Append("STATE".PadRight(9))
          .Append("  ").Append("WAITING".PadLeft(forW)).Append("  ").AppendLine("ON");
        foreach (var (f, id, waited) in rows)
        {
            string name = f.Name.Length > nameW ? f.Name[..(nameW - 1)] + "~" : f.Name;
            sb.Append(id.PadLeft(idW)).Append("  ").Append(name.PadRight(nameW)).Append("  ").Append(f.State.ToString().PadRight(9))
              .Append("  ").Append(waited.PadLeft(forW)).Append("  ").AppendLine(f.WaitingOn ?? "");
            if (f.StackTrace is string stack)
                foreach (string line in stack.Split('\n', StringSplitOptions.RemoveEmptyEntries))
                    sb.Append(' ', idW + 4).AppendLine(line.TrimEnd());
        }
        return sb.ToString();
    }

    private static string FormatSpan(TimeSpan t) =>
        t.TotalSeconds < 1 ? $"{t.TotalMilliseconds:F0} ms" : t.TotalMinutes < 2 ? $"{t.TotalSeconds:F1} s" : $"{t:d\\.hh\\:mm\\:ss}";
}
