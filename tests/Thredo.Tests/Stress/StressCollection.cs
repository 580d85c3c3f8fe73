using Xunit.Abstractions;

namespace Thredo.Tests.Stress;

// Stress tests run one at a time, after the parallel ones: each wants the machine's cores and
// thousands of threads to itself, and running beside another would only measure the contention.
[CollectionDefinition("stress", DisableParallelization = true)]
public class StressCollection { }

/// <summary>Seeds and options shared by the stress tests.</summary>
internal static class StressRun
{
    /// <summary>
    /// The seed for this run: THREDO_STRESS_SEED if set (to replay a failure), otherwise a fresh one.
    /// It is printed so that a failure names the seed that reproduces its random choices.
    /// </summary>
    public static int Seed(ITestOutputHelper output, string test)
    {
        int seed = int.TryParse(Environment.GetEnvironmentVariable("THREDO_STRESS_SEED"), out int s) ? s : Random.Shared.Next();
        output.WriteLine($"{test}: seed {seed} (set THREDO_STRESS_SEED={seed} to replay)");
        return seed;
    }

    /// <summary>Small stacks (thousands of fibers are thousands of threads), diagnostics on as for every test.</summary>
    public static FiberOptions Options(int schedulers = 1) => K.Options with { StackSizeBytes = 64 * 1024, Schedulers = schedulers };
}
