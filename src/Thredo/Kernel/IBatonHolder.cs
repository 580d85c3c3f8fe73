using Thredo.Fibers;

namespace Thredo.Kernel;

/// <summary>
/// Something that can hold a kernel's baton: a fiber's thread (<see cref="FiberThread"/>), the thread
/// that idles for a kernel (<see cref="KernelHost"/>), or the native fiber host.
/// </summary>
internal interface IBatonHolder
{
    /// <summary>Where it waits to be handed the baton.</summary>
    ParkerHandle Parker { get; }
}
