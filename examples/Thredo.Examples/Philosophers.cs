namespace Thredo.Examples;

/// <summary>
/// Dining philosophers that deadlock on purpose: everyone takes the left fork, thinks a moment,
/// then reaches for the right one, which the neighbour holds. A timeout around that second
/// <c>Acquire</c> rescues them: on expiry the philosopher puts the left fork down, backs off for
/// a random while and tries again. Usage: <c>philosophers [meals]</c> (default 3).
/// </summary>
internal sealed class Philosophers : Example
{
    private static readonly string[] Names = ["Aristotle", "Kant", "Spinoza", "Marx", "Russell"];

    public override string Name => "philosophers";

    public override string Description => "dining philosophers deadlock on purpose; a timeout on the second fork rescues them";

    public override int Order => 3;

    public override int Run(string[] args)
    {
        int meals = args.Length > 0 && int.TryParse(args[0], out int m) && m > 0 ? m : 3;
        Console.WriteLine($"{Names.Length} philosophers, {Names.Length} forks; each eats {meals} times");

        int timeouts = Fiber.Run(() =>
        {
            var forks = Names.Select(_ => new FiberLock()).ToArray();
            int timeouts = 0;
            using (var table = new FiberGroup(GroupWait.All))
            {
                for (int i = 0; i < Names.Length; i++)
                {
                    string name = Names[i];
                    FiberLock left = forks[i], right = forks[(i + 1) % forks.Length];
                    table.Spawn(() =>
                    {
                        int rescued = Dine(name, left, right, meals);   // blocks: add only afterwards
                        timeouts += rescued;                            // one kernel: fibers take turns
                    }, name);
                }
                table.Join();
            }
            return timeouts;
        });
        Console.WriteLine($"Everyone ate {meals} times; the deadlock was broken by {timeouts} timeouts");
        return 0;
    }

    /// <summary>One philosopher's evening; returns how many times the timeout had to rescue them.</summary>
    private static int Dine(string name, FiberLock left, FiberLock right, int meals)
    {
        var timeout = TimeSpan.FromMilliseconds(200);
        int rescued = 0;
        for (int meal = 1; meal <= meals;)
        {
            bool ate = false;
            using (left.Acquire())
            {
                Fiber.Sleep(TimeSpan.FromMilliseconds(50));   // everyone holds a left fork now: deadlock
                try
                {
                    using (Fiber.TimeoutAfter(timeout, () => right.Acquire()))
                    {
                        Console.WriteLine($"{name,-9} eats (meal {meal} of {meals})");
                        Fiber.Sleep(TimeSpan.FromMilliseconds(100));
                    }
                    ate = true;
                }
                catch (FiberTimeoutException)
                {
                    rescued++;
                    Console.WriteLine($"  {name,-9} waited {timeout.TotalMilliseconds:0} ms for the right fork: puts the left one down");
                }
            }
            if (ate)
            {
                meal++;
                Fiber.Sleep(TimeSpan.FromMilliseconds(Random.Shared.Next(20, 120)));    // think
            }
            else
            {
                Fiber.Sleep(TimeSpan.FromMilliseconds(Random.Shared.Next(0, 300)));     // random back-off
            }
        }
        Console.WriteLine($"{name,-9} is full and leaves the table");
        return rescued;
    }
}
