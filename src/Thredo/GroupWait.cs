namespace Thredo;

/// <summary>How <see cref="FiberGroup.Join"/> decides that the group is done.</summary>
public enum GroupWait
{
    /// <summary>Wait for every member.</summary>
    All,
    /// <summary>The first member to complete wins; the rest are cancelled.</summary>
    Any,
    /// <summary>The first member to complete with a non-null result wins; the rest are cancelled.</summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1720", Justification = "The name is fixed by API.md (Curio's wait=object).")]
    Object,
    /// <summary>Wait for nothing: members still running when the group ends are cancelled (the worker-pool idiom).</summary>
    None,
}
