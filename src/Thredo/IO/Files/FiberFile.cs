using System.Text;

namespace Thredo.IO;

/// <summary>
/// Whole-file helpers and file streams for fibers. Regular files are always "ready" to an event loop, so
/// instead of the poller these go through <see cref="Fiber.RunBlocking{T}(Func{T})"/>: the fiber gives its
/// kernel's baton away while the OS works, and the other fibers run meanwhile.
/// </summary>
/// <remarks>
/// Every member is a cancellation point on entry: a cancellation or timeout pending then is thrown before
/// the file is touched. The file operation itself is not interrupted; a cancellation arriving while it runs
/// is delivered at the caller's next blocking operation (after this one has returned its result). One
/// deferred by <see cref="Fiber.DisableCancellation"/> is not delivered here. Off a fiber the members simply
/// block the thread.
/// </remarks>
public static class FiberFile
{
    /// <summary>Reads the whole file. A cancellation point on entry (see <see cref="FiberFile"/>).</summary>
    /// <param name="path">The file.</param>
    /// <returns>Its bytes.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="path"/> is empty.</exception>
    /// <exception cref="IOException">The file could not be read (<see cref="FileNotFoundException"/>, <see cref="DirectoryNotFoundException"/>, ...).</exception>
    /// <exception cref="UnauthorizedAccessException">Access was denied.</exception>
    /// <exception cref="FiberCancelledException">The fiber had a cancellation pending on entry.</exception>
    /// <exception cref="FiberTimeoutException">A timeout scope of the fiber had expired on entry.</exception>
    public static byte[] ReadAllBytes(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return Fiber.RunBlocking(() => File.ReadAllBytes(path));
    }

    /// <summary>Reads the whole file as text, detecting a byte order mark (UTF-8 otherwise). A cancellation point on entry.</summary>
    /// <param name="path">The file.</param>
    /// <returns>Its text.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="path"/> is empty.</exception>
    /// <exception cref="IOException">The file could not be read.</exception>
    /// <exception cref="UnauthorizedAccessException">Access was denied.</exception>
    /// <exception cref="FiberCancelledException">The fiber had a cancellation pending on entry.</exception>
    /// <exception cref="FiberTimeoutException">A timeout scope of the fiber had expired on entry.</exception>
    public static string ReadAllText(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return Fiber.RunBlocking(() => File.ReadAllText(path));
    }

    /// <summary>Reads the whole file as text in <paramref name="encoding"/> (a byte order mark still wins). A cancellation point on entry.</summary>
    /// <param name="path">The file.</param>
    /// <param name="encoding">The encoding.</param>
    /// <returns>Its text.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> or <paramref name="encoding"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="path"/> is empty.</exception>
    /// <exception cref="IOException">The file could not be read.</exception>
    /// <exception cref="UnauthorizedAccessException">Access was denied.</exception>
    /// <exception cref="FiberCancelledException">The fiber had a cancellation pending on entry.</exception>
    /// <exception cref="FiberTimeoutException">A timeout scope of the fiber had expired on entry.</exception>
    public static string ReadAllText(string path, Encoding encoding)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(encoding);
        return Fiber.RunBlocking(() => File.ReadAllText(path, encoding));
    }

    /// <summary>Reads the file's lines (UTF-8 unless a byte order mark says otherwise). A cancellation point on entry.</summary>
    /// <param name="path">The file.</param>
    /// <returns>Its lines, without line endings.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="path"/> is empty.</exception>
    /// <exception cref="IOException">The file could not be read.</exception>
    /// <exception cref="UnauthorizedAccessException">Access was denied.</exception>
    /// <exception cref="FiberCancelledException">The fiber had a cancellation pending on entry.</exception>
    /// <exception cref="FiberTimeoutException">A timeout scope of the fiber had expired on entry.</exception>
    public static string[] ReadAllLines(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return Fiber.RunBlocking(() => File.ReadAllLines(path));
    }

    /// <summary>Creates or replaces the file with <paramref name="bytes"/>. A cancellation point on entry.</summary>
    /// <param name="path">The file.</param>
    /// <param name="bytes">The contents.</param>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> or <paramref name="bytes"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="path"/> is empty.</exception>
    /// <exception cref="IOException">The file could not be written.</exception>
    /// <exception cref="UnauthorizedAccessException">Access was denied.</exception>
    /// <exception cref="FiberCancelledException">The fiber had a cancellation pending on entry (nothing was written).</exception>
    /// <exception cref="FiberTimeoutException">A timeout scope of the fiber had expired on entry (nothing was written).</exception>
    public static void WriteAllBytes(string path, byte[] bytes)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(bytes);
        Fiber.RunBlocking(() => File.WriteAllBytes(path, bytes));
    }

    /// <summary>Creates or replaces the file with <paramref name="contents"/> as UTF-8 (no byte order mark). A cancellation point on entry.</summary>
    /// <param name="path">The file.</param>
    /// <param name="contents">The text; null writes an empty file.</param>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="path"/> is empty.</exception>
    /// <exception cref="IOException">The file could not be written.</exception>
    /// <exception cref="UnauthorizedAccessException">Access was denied.</exception>
    /// <exception cref="FiberCancelledException">The fiber had a cancellation pending on entry (nothing was written).</exception>
    /// <exception cref="FiberTimeoutException">A timeout scope of the fiber had expired on entry (nothing was written).</exception>
    public static void WriteAllText(string path, string? contents)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        Fiber.RunBlocking(() => File.WriteAllText(path, contents));
    }

    /// <summary>Creates or replaces the file with <paramref name="contents"/> in <paramref name="encoding"/>. A cancellation point on entry.</summary>
    /// <param name="path">The file.</param>
    /// <param name="contents">The text; null writes only the encoding's preamble, if any.</param>
    /// <param name="encoding">The encoding (its preamble, such as a UTF-8 byte order mark, is written first).</param>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> or <paramref name="encoding"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="path"/> is empty.</exception>
    /// <exception cref="IOException">The file could not be written.</exception>
    /// <exception cref="UnauthorizedAccessException">Access was denied.</exception>
    /// <exception cref="FiberCancelledException">The fiber had a cancellation pending on entry (nothing was written).</exception>
    /// <exception cref="FiberTimeoutException">A timeout scope of the fiber had expired on entry (nothing was written).</exception>
    public static void WriteAllText(string path, string? contents, Encoding encoding)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(encoding);
        Fiber.RunBlocking(() => File.WriteAllText(path, contents, encoding));
    }

    /// <summary>Appends <paramref name="contents"/> as UTF-8, creating the file if needed. A cancellation point on entry.</summary>
    /// <param name="path">The file.</param>
    /// <param name="contents">The text; null appends nothing.</param>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="path"/> is empty.</exception>
    /// <exception cref="IOException">The file could not be written.</exception>
    /// <exception cref="UnauthorizedAccessException">Access was denied.</exception>
    /// <exception cref="FiberCancelledException">The fiber had a cancellation pending on entry (nothing was written).</exception>
    /// <exception cref="FiberTimeoutException">A timeout scope of the fiber had expired on entry (nothing was written).</exception>
    public static void AppendAllText(string path, string? contents)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        Fiber.RunBlocking(() => File.AppendAllText(path, contents));
    }

    /// <summary>Appends <paramref name="contents"/> in <paramref name="encoding"/>, creating the file if needed. A cancellation point on entry.</summary>
    /// <param name="path">The file.</param>
    /// <param name="contents">The text; null appends nothing.</param>
    /// <param name="encoding">The encoding.</param>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> or <paramref name="encoding"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="path"/> is empty.</exception>
    /// <exception cref="IOException">The file could not be written.</exception>
    /// <exception cref="UnauthorizedAccessException">Access was denied.</exception>
    /// <exception cref="FiberCancelledException">The fiber had a cancellation pending on entry (nothing was written).</exception>
    /// <exception cref="FiberTimeoutException">A timeout scope of the fiber had expired on entry (nothing was written).</exception>
    public static void AppendAllText(string path, string? contents, Encoding encoding)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(encoding);
        Fiber.RunBlocking(() => File.AppendAllText(path, contents, encoding));
    }

    /// <summary>
    /// Opens a file as a <see cref="FiberStream"/> whose reads and writes run through
    /// <see cref="Fiber.RunBlocking{T}(Func{T})"/>, so the fiber's kernel keeps running other fibers
    /// meanwhile; <see cref="StreamReader"/>, <see cref="StreamWriter"/> and the other synchronous consumers
    /// of <see cref="Stream"/> work over it on a fiber. Opening, and each read or write, is a cancellation
    /// point on entry (see <see cref="FiberFile"/>); disposing never throws a cancellation (it closes the
    /// file uninterruptibly). The stream is unbuffered (every write reaches the OS at once; put a
    /// <see cref="StreamWriter"/> or <see cref="BufferedStream"/> on top for small writes) and can seek. One
    /// fiber or thread at a time per stream. A file opened for reading only may be opened for reading by
    /// others meanwhile; otherwise it is not shared.
    /// </summary>
    /// <param name="path">The file.</param>
    /// <param name="mode">How to open or create it.</param>
    /// <param name="access">Read, write or both.</param>
    /// <returns>The open stream; dispose it.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="path"/> is empty, or <paramref name="mode"/> and <paramref name="access"/> do not go together (such as <see cref="FileMode.Append"/> with read access).</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="mode"/> or <paramref name="access"/> is not a defined value.</exception>
    /// <exception cref="IOException">The file could not be opened (<see cref="FileNotFoundException"/>, <see cref="DirectoryNotFoundException"/>, ...).</exception>
    /// <exception cref="UnauthorizedAccessException">Access was denied.</exception>
    /// <exception cref="FiberCancelledException">The fiber had a cancellation pending on entry (the file was not opened).</exception>
    /// <exception cref="FiberTimeoutException">A timeout scope of the fiber had expired on entry (the file was not opened).</exception>
    public static FiberStream Open(string path, FileMode mode, FileAccess access)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!Enum.IsDefined(mode))
            throw new ArgumentOutOfRangeException(nameof(mode), mode, "Not a FileMode.");
        if (!Enum.IsDefined(access))
            throw new ArgumentOutOfRangeException(nameof(access), access, "Not a FileAccess.");
        FileShare share = access == FileAccess.Read ? FileShare.Read : FileShare.None;
        // bufferSize 0: unbuffered, so a write is in the OS when Write returns, as on the other FiberStreams.
        FileStream file = Fiber.RunBlocking(() => new FileStream(path, mode, access, share, bufferSize: 0));
        return new FiberStream(new FileChannel(file));
    }

    /// <summary>
    /// Opens a file for reading and writing (for writing only with <see cref="FileMode.Append"/>), as
    /// <see cref="FileStream(string, FileMode)"/> does; see <see cref="Open(string, FileMode, FileAccess)"/>.
    /// </summary>
    /// <param name="path">The file.</param>
    /// <param name="mode">How to open or create it.</param>
    /// <returns>The open stream; dispose it.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="path"/> is empty.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="mode"/> is not a defined value.</exception>
    /// <exception cref="IOException">The file could not be opened.</exception>
    /// <exception cref="UnauthorizedAccessException">Access was denied.</exception>
    /// <exception cref="FiberCancelledException">The fiber had a cancellation pending on entry (the file was not opened).</exception>
    /// <exception cref="FiberTimeoutException">A timeout scope of the fiber had expired on entry (the file was not opened).</exception>
    public static FiberStream Open(string path, FileMode mode) =>
        Open(path, mode, mode == FileMode.Append ? FileAccess.Write : FileAccess.ReadWrite);
}
