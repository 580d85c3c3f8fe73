namespace Thredo.Examples;

/// <summary>
/// Port of the seed's <c>ex1.py</c> / <c>euro/ex1.py</c>: spawn a fiber, collect its result with
/// <see cref="Fiber{T}.Join"/>; then spawn one that fails, and see <c>Join</c> throw
/// <see cref="FiberFailedException"/> whose <see cref="Exception.InnerException"/> is the cause.
/// </summary>
internal sealed class Ex1 : Example
{
    public override string Name => "ex1";

    public override string Description => "join a fiber's result; join a failed one: FiberFailedException with the cause inside (instant)";

    public override int Order => 60;

    public override int Run(string[] args)
    {
        Fiber.Run(() =>
        {
            // Like Python's func(x, y): x + y, which works for 2 and 3 and fails for 2 and '3'.
            Fiber<int> good = Fiber.Spawn(() => Add(2, 3), "add(2, 3)");
            Console.WriteLine($"Result: {good.Join()}");

            Fiber<int> bad = Fiber.Spawn(() => Add(2, "3"), "add(2, \"3\")");
            try
            {
                Console.WriteLine($"Result: {bad.Join()}");
            }
            catch (FiberFailedException e)
            {
                Console.WriteLine($"Failed: {e.Message}");
                Console.WriteLine($"  cause (InnerException): {e.InnerException?.GetType().Name}: {e.InnerException?.Message}");
                Console.WriteLine($"  fiber '{bad.Name}' is {bad.State}; its Exception is the same object: {ReferenceEquals(bad.Exception, e.InnerException)}");
            }
        });
        return 0;
    }

    private static int Add(object x, object y) => (int)x + (int)y;
}
