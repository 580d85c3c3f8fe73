using System.Runtime.InteropServices;
using Thredo.IO;

namespace Thredo.Examples;

/// <summary>
/// Port of the seed's <c>tut.py</c> (Curio's tutorial): a kid asks to play every second (an event
/// waited under a timeout, retried), the parent says yes after 5 s; the kid plays in a group with three
/// friends; the parent waits for Ctrl-C (a <see cref="SignalEvent"/> for SIGINT and SIGTERM), counts down
/// from 10, gives the kid 10 s to come (a timed-out join), then cancels him: the cancellation reaches the
/// kid's sleep, and leaving his group sends every friend home.
/// <c>--self-test</c> runs the same story with a time unit of 0.1 s and sends itself SIGINT.
/// </summary>
internal sealed class Tut : Example
{
    public override string Name => "tut";

    public override string Description => "Curio's tutorial: kid, friends in a group, event with retried timeout, SignalEvent, timed-out join then cancel; waits for Ctrl-C (~30 s), --self-test (~3 s)";

    public override int Order => 66;

    public override int Run(string[] args)
    {
        bool selfTest = false;
        foreach (string a in args)
        {
            if (a is "--self-test" or "--fast")
                selfTest = true;
            else
            {
                Console.Error.WriteLine($"tut: unknown option '{a}' (use --self-test)");
                return 2;
            }
        }
        var story = new Story(selfTest ? 0.1 : 1.0, selfTest);
        Fiber.Run(story.Parent);
        return 0;
    }

    /// <summary>The tutorial's functions, with every duration counted in units (1 s, or 0.1 s in a self-test).</summary>
    private sealed class Story(double unit, bool selfTest)
    {
        private readonly FiberEvent _startEvt = new();

        private TimeSpan Units(double n) => TimeSpan.FromSeconds(n * unit);

        public void Parent()
        {
            Fiber kidTask;
            using (var goodbye = new SignalEvent(PosixSignal.SIGINT, PosixSignal.SIGTERM))
            {
                kidTask = Fiber.Spawn(Kid, "kid");
                Fiber.Sleep(Units(5));
                Console.WriteLine("Yes, go play");
                _startEvt.Set();

                Fiber? signaller = null;
                if (selfTest)
                {
                    signaller = Fiber.Spawn(() =>
                    {
                        Fiber.Sleep(Units(3));
                        // A process that inherited SIGINT as ignored (a job started with '&' by a
                        // non-interactive shell) never receives it; the event says so, and SIGTERM comes through.
                        if (goodbye.IgnoredSignals.Contains(PosixSignal.SIGINT))
                        {
                            Console.WriteLine("(self-test: SIGINT is ignored in this process; sending SIGTERM instead)");
                            SelfSignal.Send("TERM");
                            return;
                        }
                        Console.WriteLine("(self-test: sending SIGINT to myself, as Ctrl-C would)");
                        SelfSignal.Send("INT");
                    }, "self-test signaller");
                }
                else
                    Console.WriteLine("(press Ctrl-C when it is time to go)");
                goodbye.Wait();
                signaller?.Join();   // it has done its job
            }   // `del goodbye`: Ctrl-C has its default action again

            Console.WriteLine("Let's go");
            Fiber countTask = Fiber.Spawn(() => Countdown(10), "countdown");
            countTask.Join();

            Console.WriteLine("We're leaving!");
            try
            {
                Fiber.TimeoutAfter(Units(10), kidTask.Join);
            }
            catch (FiberTimeoutException)
            {
                Console.WriteLine("(the kid did not come in time: cancelling him)");
                kidTask.Cancel();
                Fiber.Sleep(Units(3));
            }
            Console.WriteLine($"Parent Leaving (the kid ended {kidTask.State})");
        }

        private void Countdown(int n)
        {
            while (n > 0)
            {
                Console.WriteLine($"T-minus {n}");
                Fiber.Sleep(Units(1));
                n--;
            }
        }

        private void Friend(string name)
        {
            Console.WriteLine($"Hi, my name is {name}");
            Console.WriteLine("Playing Minecraft");
            try
            {
                Fiber.Sleep(Units(1000));
            }
            catch (FiberCancelledException)
            {
                Console.WriteLine($"{name} going home");
                throw;
            }
        }

        private void Kid()
        {
            while (true)
            {
                try
                {
                    Console.WriteLine("Can I play?");
                    Fiber.TimeoutAfter(Units(1), _startEvt.Wait);
                    break;
                }
                catch (FiberTimeoutException)
                {
                    Console.WriteLine("Wha!?!");
                }
            }

            Console.WriteLine("Building the Millenium Falcon in Minecraft");
            using var f = new FiberGroup();   // leaving it by an exception cancels the friends
            string[] friends = ["Max", "Lillian", "Thomas"];
            foreach (string name in friends)
                f.Spawn(() => Friend(name), name);
            try
            {
                Fiber.Sleep(Units(1000));
            }
            catch (FiberCancelledException)
            {
                Console.WriteLine("Fine. Saving my work.");
                throw;
            }
        }
    }
}
