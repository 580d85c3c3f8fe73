using System.Text;

namespace Thredo.Diagnostics;

/// <summary>
/// The wait-for relation among one runtime's fibers in <c>Monitor.Enter</c>, from <see cref="MonitorContention"/>:
/// which fiber's lock a fiber waits for, in words, and whether following "waits for a lock held by"
/// from a fiber closes into a cycle (a Monitor deadlock no hand-off resolves).
/// </summary>
/// <remarks>Built from a copy of the live fibers; the fields it reads of other fibers are racy, as any diagnostic's.</remarks>
internal sealed class MonitorWaitFor
{
    private readonly Dictionary<int, Fiber> _byTid = [];   // OS tid -> the live fiber running on that thread

    /// <summary>The relation among <paramref name="live"/>, the live fibers of one runtime.</summary>
    internal MonitorWaitFor(IEnumerable<Fiber> live)
    {
        foreach (Fiber f in live)
            if (f.Thread?.Tid is int tid and not 0 && !f.IsCompleted)
                _byTid[tid] = f;
    }

    /// <summary>The lock's holder of <paramref name="fiber"/>'s Monitor wait, or false if it is not known to wait in Monitor.Enter.</summary>
    internal static bool TryGetWait(Fiber fiber, out MonitorContention.Wait wait)
    {
        wait = default;
        return fiber.Thread?.Tid is int tid && MonitorContention.TryGet(tid, out wait);
    }

    /// <summary>The fiber running on OS thread <paramref name="tid"/>, or null if it is none of this runtime's.</summary>
    internal Fiber? FiberOn(int tid) => _byTid.GetValueOrDefault(tid);

    /// <summary>"fiber 4 'b'", "thread 5414" (not one of this runtime's fibers) or "an unknown thread".</summary>
    internal string Holder(int ownerTid) =>
        FiberOn(ownerTid) is Fiber f ? $"fiber {f.Id} '{f.Name}'" : ownerTid != 0 ? $"thread {ownerTid}" : "an unknown thread";

    /// <summary>"Monitor.Enter (lock held by fiber 4 'b')", or null if <paramref name="fiber"/> is not known to wait in Monitor.Enter.</summary>
    internal string? Describe(Fiber fiber) =>
        TryGetWait(fiber, out MonitorContention.Wait w) ? $"Monitor.Enter (lock held by {Holder(w.OwnerTid)})" : null;

    /// <summary>
    /// The fibers met following "waits in Monitor.Enter for a lock held by" from <paramref name="fiber"/>,
    /// itself first, and whether they close into a cycle back to it. Ends at a holder that is no fiber
    /// of this runtime or waits in no Monitor.Enter, or where it meets a cycle not through
    /// <paramref name="fiber"/> (then <paramref name="fiber"/> waits on a deadlock, but is not in it).
    /// </summary>
    internal List<Fiber> Chain(Fiber fiber, out bool cycle)
    {
        var chain = new List<Fiber> { fiber };
        for (Fiber f = fiber; TryGetWait(f, out MonitorContention.Wait w) && FiberOn(w.OwnerTid) is Fiber holder;)
        {
            if (holder == fiber)
            {
                cycle = true;
                return chain;
            }
            if (chain.Contains(holder))
                break;
            chain.Add(holder);
            f = holder;
        }
        cycle = false;
        return chain;
    }

    /// <summary>
    /// "fiber 3 'a' waits in Monitor.Enter for a lock held by fiber 4 'b', which waits in Monitor.Enter
    /// for a lock held by fiber 3 'a'": the <see cref="Chain"/> from its first fiber, in words.
    /// </summary>
    internal string DescribeChain(List<Fiber> chain)
    {
        var sb = new StringBuilder($"fiber {chain[0].Id} '{chain[0].Name}'");
        for (int i = 0; i < chain.Count; i++)
        {
            if (!TryGetWait(chain[i], out MonitorContention.Wait w))
                break;   // the chain's last fiber waits in no Monitor.Enter: its holder was named by the link before
            sb.Append(i == 0 ? " waits" : ", which waits").Append(" in Monitor.Enter for a lock held by ").Append(Holder(w.OwnerTid));
        }
        return sb.ToString();
    }
}
