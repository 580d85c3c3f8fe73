using System.Reflection;
using Thredo.Examples;

// Runs one example by name (the first one when none is named); --list lists them.
Example[] examples = [.. typeof(Example).Assembly.GetTypes()
    .Where(t => t.IsSubclassOf(typeof(Example)) && !t.IsAbstract)
    .Select(t => (Example)Activator.CreateInstance(t)!)
    .OrderBy(e => e.Order)];

if (args is ["--list", ..])
{
    foreach (Example e in examples)
        Console.WriteLine($"  {e.Name,-18} {e.Description}");
    return 0;
}
if (args is ["--help" or "-h", ..])
{
    Console.WriteLine("usage: Thredo.Examples [--list | NAME [options]]");
    return 0;
}
string name = args.Length > 0 ? args[0] : examples[0].Name;
Example? chosen = examples.FirstOrDefault(e => e.Name == name);
if (chosen is null)
{
    Console.Error.WriteLine($"No example named '{name}'. These exist:");
    foreach (Example e in examples)
        Console.Error.WriteLine($"  {e.Name}");
    return 2;
}
Console.WriteLine($"== {chosen.Name}: {chosen.Description}");
return chosen.Run(args.Length > 0 ? args[1..] : []);
