namespace Thredo.Examples;

/// <summary>
/// Port of the seed's <c>ex3.py</c>: a fiber sleeps for 100 s; main cancels it after 5 s. The
/// sleeper sees <see cref="FiberCancelledException"/> at its <c>Sleep</c>, says so and returns
/// (as the seed does), so it ends Completed rather than Cancelled.
/// </summary>
internal sealed class Ex3 : Example
{
    public override string Name => "ex3";

    public override string Description => "cancel a fiber sleeping 100 s after 5 s; it catches the cancellation and returns (~5 s)";

    public override int Order => 62;

    public override int Run(string[] args)
    {
        Fiber.Run(() =>
        {
            Fiber t = Fiber.Spawn(() => Hello(100), "hello");
            Fiber.Sleep(5);
            Console.WriteLine("main: cancelling hello");
            t.Cancel();   // requests, then waits until hello has ended
            Console.WriteLine($"main: hello ended, {t.State}");
            Console.WriteLine("Goodbye");
        });
        return 0;
    }

    private static void Hello(double seconds)
    {
        Console.WriteLine("Yawn");
        try
        {
            Fiber.Sleep(seconds);
            Console.WriteLine("Awake");
        }
        catch (FiberCancelledException)
        {
            Console.WriteLine("Cancelled!");   // caught and not rethrown: the fiber returns normally
        }
    }
}
