namespace Thredo.Examples;

/// <summary>
/// A pool of four workers in a <see cref="GroupWait.None"/> group: they loop forever on
/// <c>Get</c>/<c>TaskDone</c>, main waits for the work with <c>queue.Join()</c>, and leaving the
/// group cancels the workers at the <c>Get</c> they are blocked in.
/// </summary>
internal sealed class WorkerPool : Example
{
    public override string Name => "worker-pool";

    public override string Description => "four workers in a GroupWait.None group; leaving the group cancels them";

    public override int Order => 2;

    public override int Run(string[] args)
    {
        Fiber.Run(() =>
        {
            var queue = new FiberQueue<int>();

            using (var group = new FiberGroup(GroupWait.None))
            {
                for (int w = 1; w <= 4; w++)
                {
                    string name = $"worker {w}";
                    group.Spawn(() => Worker(name, queue), name);
                }

                for (int item = 1; item <= 10; item++)
                    queue.Put(item);
                Console.WriteLine("Main: put 10 items, waiting for them to be done");
                queue.Join();
                Console.WriteLine("Main: all items done, leaving the group");
            }
            Console.WriteLine("Main: group left, every worker has ended");
        });
        return 0;
    }

    private static void Worker(string name, FiberQueue<int> queue)
    {
        try
        {
            while (true)
            {
                int item = queue.Get();
                Fiber.Sleep(TimeSpan.FromMilliseconds(50 + item * 10));   // "work"
                Console.WriteLine($"{name}: item {item} -> {item * item}");
                queue.TaskDone();
            }
        }
        catch (FiberCancelledException)
        {
            Console.WriteLine($"{name}: Worker cancelled");
            throw;
        }
    }
}
