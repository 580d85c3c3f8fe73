namespace Thredo;

/// <summary>
/// A fiber could not be given the OS thread it needs (a managed fiber holds a thread from its first
/// run until it ends) because an operating-system limit was reached. The message names the limit,
/// its current value and the setting to raise; docs/scaling.md lists what N parked fibers need.
/// </summary>
/// <remarks>
/// Fibers are bound to threads lazily, so this is raised where the fiber would first run: it ends
/// <see cref="FiberState.Faulted"/> with this exception without having run, and its
/// <see cref="Fiber.Join"/> throws <see cref="FiberFailedException"/> with this as the inner exception.
/// </remarks>
public class FiberLimitException : InvalidOperationException
{
    /// <summary>Creates the exception.</summary>
    public FiberLimitException() : base("An operating-system limit on threads or memory mappings was reached.") { }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">The message.</param>
    public FiberLimitException(string? message) : base(message) { }

    /// <summary>Creates the exception with a message and a cause.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public FiberLimitException(string? message, Exception? innerException) : base(message, innerException) { }

    /// <summary>Creates the exception for one limit.</summary>
    /// <param name="limit">The limit's name (<c>vm.max_map_count</c>, <c>kernel.threads-max</c>, ...).</param>
    /// <param name="currentValue">Its value now, or null if it could not be read.</param>
    /// <param name="usage">What this process uses of it now, or null if unknown.</param>
    /// <param name="howToRaise">The command or setting that raises it.</param>
    /// <param name="innerException">What the runtime reported.</param>
    public FiberLimitException(string limit, long? currentValue, long? usage, string howToRaise, Exception? innerException)
        : base(Describe(limit, currentValue, usage, howToRaise), innerException)
    {
        ArgumentException.ThrowIfNullOrEmpty(limit);
        ArgumentException.ThrowIfNullOrEmpty(howToRaise);
        Limit = limit;
        CurrentValue = currentValue;
        Usage = usage;
        HowToRaise = howToRaise;
    }

    /// <summary>The limit's name, or null if the cause could not be pinned down.</summary>
    public string? Limit { get; }

    /// <summary>The limit's value when the failure happened, or null if unknown.</summary>
    public long? CurrentValue { get; }

    /// <summary>What the process used of the limit then, or null if unknown.</summary>
    public long? Usage { get; }

    /// <summary>The command or setting that raises the limit, or null.</summary>
    public string? HowToRaise { get; }

    private static string Describe(string limit, long? value, long? usage, string howToRaise) =>
        $"No OS thread could be started for a fiber: the limit {limit} is {value?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "unknown"}" +
        (usage is long u ? $" and this process uses {u.ToString(System.Globalization.CultureInfo.InvariantCulture)} of it" : "") +
        $". Every managed fiber that has blocked holds a thread until it ends. Raise the limit ({howToRaise}), " +
        "run fewer fibers at once, or lower FiberOptions.StackSizeBytes; docs/scaling.md lists what N parked fibers need.";
}
