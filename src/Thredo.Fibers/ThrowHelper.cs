using System.Diagnostics.CodeAnalysis;

namespace Thredo.Fibers;

/// <summary>Turns the native library's negative errno results into exceptions, off the hot path.</summary>
internal static class ThrowHelper
{
    /// <summary>Returns <paramref name="result"/> when it is not negative; otherwise throws for it.</summary>
    internal static int Check(int result, string operation)
    {
        if (result < 0)
            Throw(result, operation);
        return result;
    }

    [DoesNotReturn]
    internal static void Throw(int result, string operation)
    {
        int errno = -result;
        string message = $"{operation} failed: {Describe(errno)} (errno {errno}).";
        throw errno switch
        {
            Errno.ENOMEM => new InsufficientMemoryException(message),
            Errno.EINVAL => new ArgumentException(message),
            Errno.EBADF or Errno.ENOENT or Errno.EEXIST => new InvalidOperationException(message),
            _ => new System.ComponentModel.Win32Exception(errno, message),
        };
    }

    /// <summary>Throws <see cref="IOError"/> for a libc call that failed with <paramref name="errno"/>.</summary>
    [DoesNotReturn]
    internal static void ThrowIO(int errno, string operation) => throw IOError(errno, operation);

    /// <summary>An <see cref="IOException"/> naming the libc operation, the errno and its text.</summary>
    internal static IOException IOError(int errno, string operation) =>
        new($"{operation} failed: {System.Runtime.InteropServices.Marshal.GetPInvokeErrorMessage(errno)} (errno {errno}).");

    private static string Describe(int errno) => errno switch
    {
        Errno.ENOMEM => "out of memory or address space",
        Errno.EINVAL => "invalid argument",
        Errno.EBADF => "bad descriptor",
        Errno.ENOENT => "descriptor is not registered",
        Errno.EEXIST => "descriptor is already registered",
        Errno.EDEADLK => "called from inside a native fiber",
        Errno.ETIMEDOUT => "timed out",
        _ => System.Runtime.InteropServices.Marshal.GetPInvokeErrorMessage(errno),
    };
}

/// <summary>The errno values the native library returns (negated), as Linux numbers them.</summary>
internal static class Errno
{
    internal const int ENOENT = 2;
    internal const int ESRCH = 3;
    internal const int EINTR = 4;
    internal const int EIO = 5;
    internal const int EBADF = 9;
    internal const int ECHILD = 10;
    internal const int EAGAIN = 11;
    internal const int ENOMEM = 12;
    internal const int EEXIST = 17;
    internal const int EINVAL = 22;
    internal const int EPIPE = 32;
    internal const int EDEADLK = 35;
    internal const int ENOSYS = 38;
    internal const int ETIMEDOUT = 110;
    internal const int ECANCELED = 125;
}
