namespace Thredo.Examples;

/// <summary>
/// A <see cref="GroupWait.Any"/> race: three fibers compute the same answer at different speeds;
/// the first to finish wins and the group cancels the others where they are blocked.
/// </summary>
internal sealed class Race : Example
{
    public override string Name => "race";

    public override string Description => "GroupWait.Any: the first of three fibers wins, the slower ones are cancelled";

    public override int Order => 4;

    public override int Run(string[] args)
    {
        Fiber.Run(() =>
        {
            (string Name, int Ms)[] runners = [("tortoise", 1500), ("hare", 300), ("snail", 3000)];

            using var group = new FiberGroup(GroupWait.Any);
            foreach ((string name, int ms) in runners)
            {
                group.Spawn(() =>
                {
                    Console.WriteLine($"{name}: off, needs {ms} ms");
                    try
                    {
                        Fiber.Sleep(TimeSpan.FromMilliseconds(ms));
                    }
                    catch (FiberCancelledException)
                    {
                        Console.WriteLine($"{name}: cancelled");
                        throw;
                    }
                    Console.WriteLine($"{name}: finished");
                    return $"{name} in {ms} ms";
                }, name);
            }

            group.Join();
            Console.WriteLine($"Winner: {group.Result} (fiber '{group.Completed!.Name}')");
            IEnumerable<string> others = group.Fibers.Where(f => f != group.Completed).Select(f => $"{f.Name} ({f.State})");
            Console.WriteLine($"The others: {string.Join(", ", others)}");
        });
        return 0;
    }
}
