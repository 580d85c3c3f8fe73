using System.Globalization;

namespace Thredo.Examples;

/// <summary>
/// Port of the seed's <c>prod.py</c>: a producer and a consumer over a <see cref="FiberQueue{T}"/> of
/// size 1, so the producer runs at most one item ahead of the consumer: a <c>Put</c> waits while the
/// slot is full (an item put while the consumer waits goes straight to it, and the slot stays free).
/// <c>null</c> is the sentinel that tells the consumer to stop.
/// </summary>
internal sealed class Prod : Example
{
    public override string Name => "prod";

    public override string Description => "producer/consumer over a FiberQueue of size 1, null ends the consumer; --count N (100, ~1 s)";

    public override int Order => 63;

    public override int Run(string[] args)
    {
        int count = 100;   // the seed uses 1000 (about 10 s with the consumer's 10 ms per item)
        for (int i = 0; i < args.Length; i++)
        {
            if (args[i] == "--count" && i + 1 < args.Length)
                count = int.Parse(args[++i], CultureInfo.InvariantCulture);
            else
            {
                Console.Error.WriteLine($"prod: unknown option '{args[i]}' (use --count N)");
                return 2;
            }
        }
        Fiber.Run(() =>
        {
            var q = new FiberQueue<int?>(maxSize: 1);
            Fiber t1 = Fiber.Spawn(() => Consumer(q), "consumer");
            Fiber t2 = Fiber.Spawn(() => Producer(q, count), "producer");
            t1.Join();
            t2.Join();
            Console.WriteLine("main: both joined");
        });
        return 0;
    }

    private static void Consumer(FiberQueue<int?> q)
    {
        while (true)
        {
            int? item = q.Get();
            if (item is null)
                break;
            Console.WriteLine($"Child: {item}");
            Fiber.Sleep(0.01);
        }
        Console.WriteLine("Child: got the sentinel (null), done");
    }

    private static void Producer(FiberQueue<int?> q, int count)
    {
        for (int n = 0; n < count; n++)
        {
            q.Put(n);
            Console.WriteLine($"Produced: {n}");
        }
        q.Put(null);
        Console.WriteLine("Produced: the sentinel (null)");
    }
}
