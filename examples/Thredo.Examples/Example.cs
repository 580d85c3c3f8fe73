namespace Thredo.Examples;

/// <summary>One runnable example; every concrete subclass is found by Program and listed by --list.</summary>
internal abstract class Example
{
    /// <summary>The name to run it by.</summary>
    public abstract string Name { get; }

    /// <summary>One line saying what it shows.</summary>
    public abstract string Description { get; }

    /// <summary>Position in --list; the lowest is what <c>./build.sh demo</c> runs.</summary>
    public virtual int Order => 100;

    /// <summary>Runs the example with its own arguments; returns the process exit code.</summary>
    public abstract int Run(string[] args);
}
