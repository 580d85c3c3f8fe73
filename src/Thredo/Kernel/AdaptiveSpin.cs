using System.Diagnostics;
using Thredo.Fibers;

namespace Thredo.Kernel;

/// <summary>
/// How a fiber's thread waits to be handed its kernel's baton: it polls its parker for a short,
/// self-tuning time before sleeping in the OS, so a hot pair of fibers hands off core to core without
/// a futex wake-up (microseconds on a VM) each way.
/// </summary>
/// <remarks>
/// Discussion: spinning pays only when the baton comes back within the budget, and costs a CPU that
/// the holder may need otherwise. So the budget adapts like glibc's adaptive mutex: a wait that was
/// served while spinning grows it (up to <see cref="MaxBudgetNs"/>), a wait that had to sleep halves
/// it, down to zero; at zero one wait in <see cref="ProbeEvery"/> probes with the full budget (a shorter
/// probe never outlasts a sleeping partner's futex wake-up, so two sleeping threads would never start
/// spinning again) so the kernel notices when spinning pays again. At most <see cref="_maxSpinners"/> threads of a kernel
/// spin at once (none on one CPU), and a spinner stops as soon as its kernel goes idle in the
/// poller: nothing will hand it the baton soon, and an idle program must burn nothing.
/// The fields are updated without a lock: races only blur a heuristic.
/// </remarks>
internal sealed class AdaptiveSpin
{
    private const int MaxBudgetNs = 50_000;     // longest spin: beyond it a futex sleep is cheap in comparison
    private const int StartBudgetNs = 10_000;
    private const int MinBudgetNs = 4_000;      // below it a budget is not worth keeping: it drops to zero
    private const int ProbeEvery = 32;
    private static readonly double TicksPerNs = Stopwatch.Frequency / 1e9;

    private readonly int? _fixedIterations;     // FiberOptions.ParkSpinIterations: a fixed budget, no adapting
    private readonly int _maxSpinners;          // threads of this kernel that may spin at once
    private int _budgetNs = StartBudgetNs;      // current budget (adapted)
    private int _spinners;                      // threads spinning now
    private int _waitsAtZero;                   // waits since the budget fell to zero (probing)

    internal AdaptiveSpin(int? fixedIterations)
    {
        _fixedIterations = fixedIterations;
        _maxSpinners = Environment.ProcessorCount > 1 ? Math.Min(4, Environment.ProcessorCount) : 0;
    }

    /// <summary>The current budget in nanoseconds (for tests and diagnostics).</summary>
    internal int BudgetNs => Volatile.Read(ref _budgetNs);

    /// <summary>Waits on <paramref name="parker"/> (its owner thread) until handed the baton.</summary>
    internal void Wait(ParkerHandle parker, Kernel kernel)
    {
        if (!Spin(parker, kernel))
            parker.Wait();
    }

    /// <summary>Spins for the permit; true if it came.</summary>
    private bool Spin(ParkerHandle parker, Kernel kernel)
    {
        if (_fixedIterations is int fixedIterations)
            return SpinIterations(parker, fixedIterations);
        int budget = Volatile.Read(ref _budgetNs);
        if (budget == 0)
        {
            if (Interlocked.Increment(ref _waitsAtZero) % ProbeEvery != 0)
                return false;
            budget = MaxBudgetNs;   // a probe must outlast the partner's own futex wake-up, or it never succeeds
        }
        if (Interlocked.Increment(ref _spinners) > _maxSpinners)
        {
            Interlocked.Decrement(ref _spinners);
            return false;
        }
        try
        {
            long start = Stopwatch.GetTimestamp();
            long limit = start + (long)(budget * TicksPerNs);
            while (true)
            {
                for (int i = 0; i < 16; i++)
                {
                    if (parker.TryTake())
                    {
                        long spentNs = (long)((Stopwatch.GetTimestamp() - start) / TicksPerNs);
                        Volatile.Write(ref _budgetNs, (int)Math.Min(MaxBudgetNs, Math.Max(budget + budget / 4, 2 * spentNs + MinBudgetNs)));
                        return true;
                    }
                    Thread.SpinWait(1);
                }
                if (kernel.IsIdle || Stopwatch.GetTimestamp() > limit)
                    break;
            }
            int halved = budget / 2;
            Volatile.Write(ref _budgetNs, halved < MinBudgetNs ? 0 : halved);
            return false;
        }
        finally
        {
            Interlocked.Decrement(ref _spinners);
        }
    }

    private static bool SpinIterations(ParkerHandle parker, int iterations)
    {
        for (int i = 0; i < iterations; i++)
        {
            if (parker.TryTake())
                return true;
            Thread.SpinWait(1);
        }
        return false;
    }
}
