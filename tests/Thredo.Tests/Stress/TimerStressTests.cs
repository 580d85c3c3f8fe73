using System.Diagnostics;
using Xunit.Abstractions;

namespace Thredo.Tests.Stress;

/// <summary>
/// 1,000 fibers sleep on random timers under random timeouts (TimeoutAfter, IgnoreAfter, and the two
/// nested). Each ends exactly once, and in every clear case the right thing fired: a deadline well
/// before the sleep's end interrupts it, one well after does not. Cases too close to call are not judged.
/// </summary>
[Collection("stress")]
public class TimerStressTests(ITestOutputHelper output)
{
    private const int Fibers = 1_000;

    private enum Kind { TimeoutScope, IgnoreDelegate, TimeoutOutsideIgnore, IgnoreOutsideTimeout }

    private enum Outcome { None, Slept, TimedOut, Ignored }

    private sealed record Plan(Kind Kind, int SleepMs, int OuterMs, int InnerMs);

    [Fact]
    public void A_thousand_sleepers_under_random_deadlines_each_end_once_with_the_clear_cases_right()
    {
        int seed = StressRun.Seed(output, "timer stress");
        var r = new Random(seed);
        var plans = Enumerable.Range(0, Fibers).Select(_ => new Plan(
            (Kind)r.Next(4), r.Next(1, 400), r.Next(1, 1200), r.Next(1, 1200))).ToArray();
        var outcomes = new Outcome[Fibers];
        var endings = new int[Fibers];
        var fibers = new Fiber[Fibers];
        var opened = Enumerable.Range(0, Fibers).Select(_ => new Opened()).ToArray();
        var sw = Stopwatch.StartNew();

        Fiber.Run(() =>
        {
            for (int i = 0; i < Fibers; i++)
            {
                int n = i;
                fibers[n] = Fiber.Spawn(() =>
                {
                    try { outcomes[n] = Sleep(plans[n], opened[n]); }
                    finally { Interlocked.Increment(ref endings[n]); }
                });
            }
            foreach (Fiber f in fibers) f.Join();   // none fails: every timeout is caught in Sleep
        }, StressRun.Options());

        output.WriteLine($"{sw.Elapsed.TotalSeconds:F1} s; " + string.Join(", ",
            outcomes.GroupBy(o => o).OrderBy(g => g.Key).Select(g => $"{g.Key} {g.Count()}")));
        int judged = 0;
        for (int i = 0; i < Fibers; i++)
        {
            Assert.Equal(1, endings[i]);
            Assert.Equal(FiberState.Completed, fibers[i].State);
            Assert.NotEqual(Outcome.None, outcomes[i]);
            if (Expected(plans[i], opened[i]) is Outcome expected)
            {
                judged++;
                Assert.True(expected == outcomes[i], $"fiber {i} {plans[i]}, scopes opened at -{opened[i].Sleep - opened[i].Outer:F1} ms " +
                    $"and -{opened[i].Sleep - opened[i].Inner:F1} ms before the sleep: expected {expected}, got {outcomes[i]}");
            }
        }
        output.WriteLine($"{judged} clear cases judged");
        Assert.True(judged > Fibers / 3, "too few clear cases to mean anything");
    }

    /// <summary>When (ms, on one clock) the outer scope opened, the inner scope opened, the sleep began, and the fiber went on.</summary>
    private sealed class Opened
    {
        public double Outer, Inner, Sleep, End;
    }

    private static double NowMs() => Stopwatch.GetTimestamp() * 1000.0 / Stopwatch.Frequency;

    private static Outcome Sleep(Plan p, Opened at)
    {
        TimeSpan sleep = K.Ms(p.SleepMs), outer = K.Ms(p.OuterMs), inner = K.Ms(p.InnerMs);
        void SleepNow() { at.Sleep = NowMs(); Fiber.Sleep(sleep); }
        try
        {
            at.Outer = NowMs();
            switch (p.Kind)
            {
                case Kind.TimeoutScope:
                    using (Fiber.TimeoutAfter(outer)) SleepNow();
                    return Outcome.Slept;
                case Kind.IgnoreDelegate:
                    return Fiber.IgnoreAfter(outer, SleepNow) ? Outcome.Slept : Outcome.Ignored;
                case Kind.TimeoutOutsideIgnore:
                    using (Fiber.TimeoutAfter(outer))
                    {
                        at.Inner = NowMs();
                        return Fiber.IgnoreAfter(inner, SleepNow) ? Outcome.Slept : Outcome.Ignored;
                    }
                default:
                    bool finished = Fiber.IgnoreAfter(outer, () => { at.Inner = NowMs(); Fiber.TimeoutAfter(inner, SleepNow); });
                    return finished ? Outcome.Slept : Outcome.Ignored;
            }
        }
        catch (FiberTimeoutException)
        {
            return Outcome.TimedOut;
        }
        finally
        {
            at.End = NowMs();
        }
    }

    /// <summary>
    /// What must happen, when it is clear, judged by when each timer really started (a fiber may run late
    /// between opening its scopes). Times are from the sleep's start. A deadline less than half the sleep
    /// fires first (a deadline and the sleep's own timer are served in deadline order). A sleep shorter than
    /// every deadline by more than half of it plus 50 ms ends first. Between two deadlines the earlier must
    /// also be less than half the later, and the fiber must have gone on before the later one passed: when
    /// both have passed by the time the fiber runs again, the outer scope owns the expiry whichever was
    /// earlier (Curio's rule), and a fiber woken behind hundreds of others may run late.
    /// </summary>
    private static Outcome? Expected(Plan p, Opened at)
    {
        var events = new List<(double Ms, Outcome Then, bool IsDeadline)> { (p.SleepMs, Outcome.Slept, false) };
        double outer = at.Outer + p.OuterMs - at.Sleep, inner = at.Inner + p.InnerMs - at.Sleep;
        switch (p.Kind)
        {
            case Kind.TimeoutScope: events.Add((outer, Outcome.TimedOut, true)); break;
            case Kind.IgnoreDelegate: events.Add((outer, Outcome.Ignored, true)); break;
            case Kind.TimeoutOutsideIgnore:
                events.Add((outer, Outcome.TimedOut, true));   // the outer expiry passes through the inner scope
                events.Add((inner, Outcome.Ignored, true));
                break;
            default:
                events.Add((outer, Outcome.Ignored, true));
                events.Add((inner, Outcome.TimedOut, true));
                break;
        }
        events.Sort((a, b) => a.Ms.CompareTo(b.Ms));
        var first = events[0];
        double resumed = at.End - at.Sleep;
        bool clear = !first.IsDeadline
            ? events[1].Ms > 2 * first.Ms + 50
            : first.Ms < p.SleepMs / 2.0
              && events.Skip(1).Where(e => e.IsDeadline).All(e => first.Ms < e.Ms / 2 && resumed < e.Ms - 1);
        return clear ? first.Then : null;
    }
}
