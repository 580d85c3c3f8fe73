using Thredo.Kernel;

namespace Thredo;

/// <summary>A fiber that produces a result of type <typeparamref name="T"/>.</summary>
/// <typeparam name="T">The result type.</typeparam>
public sealed class Fiber<T> : Fiber, IBoxedResult
{
    private T _result = default!;

    internal Fiber(Delegate body, string? name, FiberRuntime runtime, Kernel.Kernel kernel, FiberGroup? group)
        : base(body, name, runtime, kernel, group) { }

    /// <summary>Waits until the fiber has ended and returns its result. A cancellation point for a calling fiber.</summary>
    /// <returns>What the body returned.</returns>
    /// <exception cref="FiberFailedException">The fiber faulted or was cancelled; <see cref="Exception.InnerException"/> says why.</exception>
    /// <exception cref="FiberCancelledException">The calling fiber was cancelled while waiting.</exception>
    /// <exception cref="FiberTimeoutException">A timeout of the calling fiber expired while waiting.</exception>
    public new T Join()
    {
        base.Join();
        return _result;
    }

    /// <summary>The result, once the fiber has completed.</summary>
    /// <exception cref="InvalidOperationException">The fiber has not completed yet.</exception>
    /// <exception cref="FiberFailedException">The fiber faulted or was cancelled.</exception>
    public T Result
    {
        get
        {
            if (!IsCompleted)
                throw new InvalidOperationException($"{this} has not ended yet; Join() waits for its result.");
            if (Exception is Exception e)
                throw new FiberFailedException(this, e);
            return _result;
        }
    }

    object? IBoxedResult.BoxedResult => _result;

    private protected override void Execute(Delegate body) => _result = ((Func<T>)body)();

    /// <summary>Stores the result of a fiber whose body is not a delegate (a native fiber's C entry).</summary>
    internal void SetResult(T result) => _result = result;
}

/// <summary>A fiber's result as an object, for <see cref="FiberGroup"/> policies.</summary>
internal interface IBoxedResult
{
    /// <summary>The result, boxed.</summary>
    object? BoxedResult { get; }
}
