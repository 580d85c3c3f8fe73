using Thredo.Fibers;

namespace Thredo.Kernel;

/// <summary>
/// The thread that holds a kernel's baton when no fiber can: at start, while every fiber is off
/// running foreign code (<c>Fiber.RunBlocking</c>), and at the end. For the first kernel it is the
/// thread that called <c>Fiber.Run</c>; further kernels get a thread of their own.
/// </summary>
internal sealed class KernelHost : IBatonHolder, IDisposable
{
    private readonly Kernel _kernel;

    internal KernelHost(Kernel kernel)
    {
        _kernel = kernel;
        kernel.Host = this;
        kernel.Holder = this;
    }

    /// <inheritdoc/>
    public ParkerHandle Parker { get; } = ParkerHandle.Create();

    /// <summary>Runs the kernel from this thread until the runtime has finished.</summary>
    internal void Run()
    {
        while (!_kernel.Runtime.IsFinished)
            _kernel.HandOff(this, Kernel.Leave.Park);
    }

    /// <inheritdoc/>
    public void Dispose() => Parker.Dispose();
}
