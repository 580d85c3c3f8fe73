using System.Collections.Concurrent;
using Thredo.Fibers;

namespace Thredo.Native;

/// <summary>The managed callbacks native fiber code can call by id (<c>thredo_call_managed</c>, <c>thredo_call_nested</c>).</summary>
internal static class NativeCallbacks
{
    private static readonly ConcurrentDictionary<long, Func<long, long>> Callbacks = new();
    private static long s_nextId;

    internal static long Register(Func<long, long> callback)
    {
        NativeCallbackDispatch.Install(static (id, argument) =>
            Callbacks.TryGetValue(id, out Func<long, long>? cb) ? (cb(argument), true) : (0, false));
        long id = Interlocked.Increment(ref s_nextId);
        Callbacks[id] = callback;
        return id;
    }

    internal static bool Unregister(long id) => Callbacks.TryRemove(id, out _);

    internal static bool TryGet(long id, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out Func<long, long>? callback) =>
        Callbacks.TryGetValue(id, out callback);
}
