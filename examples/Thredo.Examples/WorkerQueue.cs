namespace Thredo.Examples;

/// <summary>
/// The smallest Thredo program: main feeds a queue, a spawned worker drains it. Both are written
/// as plain blocking code; <c>Get</c> and <c>Sleep</c> block only their own fiber.
/// </summary>
internal sealed class WorkerQueue : Example
{
    public override string Name => "worker-queue";

    public override string Description => "main puts 0..9 into a FiberQueue, a worker prints them until null";

    public override int Order => 1;

    public override int Run(string[] args)
    {
        Fiber.Run(() =>
        {
            var queue = new FiberQueue<int?>();

            Fiber worker = Fiber.Spawn(() =>
            {
                while (queue.Get() is int n)
                    Console.WriteLine($"Got: {n}");
                Console.WriteLine("Worker: got null, done");
            }, "worker");

            for (int n = 0; n < 10; n++)
            {
                queue.Put(n);
                Fiber.Sleep(TimeSpan.FromMilliseconds(100));
            }
            queue.Put(null);
            worker.Join();
            Console.WriteLine("Main: worker joined");
        });
        return 0;
    }
}
