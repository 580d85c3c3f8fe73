namespace Thredo.BindGen;

/// <summary>
/// Thredo's choices for the C# side: what libclang cannot know. Everything else follows from the
/// headers. Typedef names are mapped, never canonical types, so that <c>intptr_t</c> and
/// <c>size_t</c> stay pointer-sized on Windows too (where <c>long</c> is 32 bits, so plain
/// <c>long</c> is refused).
/// </summary>
internal static class BindingMap
{
    /// <summary>Fixed-width typedefs from stdint.h and stddef.h.</summary>
    internal static readonly IReadOnlyDictionary<string, string> Typedefs = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["int8_t"] = "sbyte", ["uint8_t"] = "byte",
        ["int16_t"] = "short", ["uint16_t"] = "ushort",
        ["int32_t"] = "int", ["uint32_t"] = "uint",
        ["int64_t"] = "long", ["uint64_t"] = "ulong",
        ["intptr_t"] = "nint", ["uintptr_t"] = "nuint",
        ["size_t"] = "nuint", ["ptrdiff_t"] = "nint",
    };

    /// <summary>
    /// Opaque handle structs and the SafeHandle that owns each: a <c>T *</c> parameter takes the
    /// SafeHandle, a <c>T **</c> parameter is its <c>out</c>, a returned <c>T *</c> is a raw <c>nint</c>.
    /// </summary>
    internal static readonly IReadOnlyDictionary<string, string> Handles = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["thredo_stack"] = "StackHandle",
        ["thredo_fiber"] = "NativeFiberHandle",
        ["thredo_parker"] = "ParkerHandle",
        ["thredo_poller"] = "PollerHandle",
    };

    /// <summary>Structs passed by value or by pointer, and their C# names.</summary>
    internal static readonly IReadOnlyDictionary<string, string> Structs = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["thredo_poll_event"] = "PollEvent",
        ["thredo_request"] = "NativeRequest",
    };

    /// <summary>Fields that hold one of the header's constant families, typed as the enum over it (same width).</summary>
    internal static readonly IReadOnlyDictionary<string, string> FieldEnums = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["thredo_poll_event.events"] = "PollEvents",
        ["thredo_request.kind"] = "NativeRequestKind",
        ["thredo_request.interest"] = "PollEvents",
    };

    /// <summary>
    /// Take their handle as a raw pointer: the release functions (a SafeHandle's ReleaseHandle
    /// passes its closed handle's value) and try_take, which the kernel polls in spin loops.
    /// </summary>
    private static readonly HashSet<string> RawHandleFunctions = new(StringComparer.Ordinal)
    {
        "thredo_stack_free", "thredo_fiber_destroy", "thredo_parker_destroy", "thredo_poller_destroy", "thredo_parker_try_take",
    };

    internal static bool TakesRawHandle(string function) => RawHandleFunctions.Contains(function);

    /// <summary>Cheap, never blocks, never calls back: called without a GC transition (polled in spin loops).</summary>
    internal static bool SuppressGCTransition(string function) => function == "thredo_parker_try_take";

    /// <summary>Only declarations with this prefix are bound (the headers' own rule for exports).</summary>
    internal const string Prefix = "thredo_";

    /// <summary>Only macros with this prefix become constants.</summary>
    internal const string ConstantPrefix = "THREDO_";

    /// <summary>THREDO_ macros that are not constants: the export attribute (include guards have no body and are skipped anyway).</summary>
    internal static readonly HashSet<string> NotConstants = new(StringComparer.Ordinal) { "THREDO_API" };
}
