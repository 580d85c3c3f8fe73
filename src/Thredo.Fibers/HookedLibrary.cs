using System.Runtime.InteropServices;

namespace Thredo.Fibers;

/// <summary>
/// Loads a C library and patches its GOT (and its dependencies') so its blocking libc calls suspend
/// the calling native fiber (<c>thredo_hook_library</c>, native/src/hook_install.c). Linux only.
/// </summary>
internal static unsafe class HookedLibrary
{
    /// <summary>Loads <paramref name="nameOrPath"/> as <see cref="NativeLibrary.Load(string)"/> does, then hooks it.</summary>
    /// <returns>The library's handle (the same one on every call for the same library).</returns>
    /// <exception cref="DllNotFoundException">The library could not be loaded; the message names it and says why.</exception>
    /// <exception cref="PlatformNotSupportedException">Not Linux.</exception>
    internal static IntPtr Load(string nameOrPath)
    {
        if (!OperatingSystem.IsLinux())
            throw new PlatformNotSupportedException("Hooking a C library's blocking calls works on Linux only (GOT patching); on Windows it would need import address table patching, which Thredo does not do.");
        IntPtr handle;
        try
        {
            handle = NativeLibrary.Load(nameOrPath);
        }
        catch (DllNotFoundException e)
        {
            throw new DllNotFoundException($"The C library '{nameOrPath}' could not be loaded: {e.Message} Install it (for example with apt-get) or pass its full path.", e);
        }
        int rc = ThredoNative.thredo_hook_library((void*)handle);
        if (rc < 0)
            ThrowHelper.Throw(rc, $"thredo_hook_library('{nameOrPath}')");
        return handle;
    }

    /// <summary>GOT slots rewritten in this process so far (diagnostics and tests).</summary>
    internal static long PatchedSlots => ThredoNative.thredo_hook_patched_slots();
}
