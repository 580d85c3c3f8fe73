using System.Runtime.InteropServices;
using Thredo.Native;

namespace Thredo.Examples.CLibraries;

/// <summary>
/// The libpq (<c>libpq.so.5</c>, unmodified) calls the examples, tests and benchmarks use. The library is
/// loaded with <see cref="NativeFiber.LoadLibrary"/>; the blocking calls (<c>PQconnectdb</c>, <c>PQexec</c>,
/// <c>PQfinish</c>, <c>PQcancel</c>) run on native fibers with <see cref="NativeFiber.Call"/>, and the ones that
/// only read memory (<c>PQstatus</c>, <c>PQgetvalue</c>, ...) are called directly.
/// </summary>
internal sealed unsafe class LibPq
{
    private const int CONNECTION_OK = 0, PGRES_COMMAND_OK = 1, PGRES_TUPLES_OK = 2;

    private static readonly Lazy<LibPq> s_instance = new(() => new LibPq());

    private readonly IntPtr _connectdb, _exec, _finish, _cancel;
    private readonly delegate* unmanaged<IntPtr, int> _status, _resultStatus, _ntuples;
    private readonly delegate* unmanaged<IntPtr, byte*> _errorMessage, _resultErrorMessage;
    private readonly delegate* unmanaged<IntPtr, int, int, byte*> _getvalue;
    private readonly delegate* unmanaged<IntPtr, void> _clear, _freeCancel;
    private readonly delegate* unmanaged<IntPtr, IntPtr> _getCancel;

    private LibPq()
    {
        IntPtr lib = NativeFiber.LoadLibrary("libpq.so.5");
        _connectdb = NativeLibrary.GetExport(lib, "PQconnectdb");
        _exec = NativeLibrary.GetExport(lib, "PQexec");
        _finish = NativeLibrary.GetExport(lib, "PQfinish");
        _cancel = NativeLibrary.GetExport(lib, "PQcancel");
        _status = (delegate* unmanaged<IntPtr, int>)NativeLibrary.GetExport(lib, "PQstatus");
        _resultStatus = (delegate* unmanaged<IntPtr, int>)NativeLibrary.GetExport(lib, "PQresultStatus");
        _ntuples = (delegate* unmanaged<IntPtr, int>)NativeLibrary.GetExport(lib, "PQntuples");
        _errorMessage = (delegate* unmanaged<IntPtr, byte*>)NativeLibrary.GetExport(lib, "PQerrorMessage");
        _resultErrorMessage = (delegate* unmanaged<IntPtr, byte*>)NativeLibrary.GetExport(lib, "PQresultErrorMessage");
        _getvalue = (delegate* unmanaged<IntPtr, int, int, byte*>)NativeLibrary.GetExport(lib, "PQgetvalue");
        _clear = (delegate* unmanaged<IntPtr, void>)NativeLibrary.GetExport(lib, "PQclear");
        _getCancel = (delegate* unmanaged<IntPtr, IntPtr>)NativeLibrary.GetExport(lib, "PQgetCancel");
        _freeCancel = (delegate* unmanaged<IntPtr, void>)NativeLibrary.GetExport(lib, "PQfreeCancel");
    }

    /// <summary>The library, loaded and hooked once per process.</summary>
    /// <exception cref="DllNotFoundException">libpq5 is not installed.</exception>
    public static LibPq Instance => s_instance.Value;

    /// <summary>
    /// Opens a session with <c>PQconnectdb</c> on a native fiber (from a fiber). Off a fiber
    /// (<paramref name="onNativeFiber"/> false: the thread-per-call benchmark) the same call blocks the thread.
    /// </summary>
    /// <exception cref="InvalidOperationException">The connection failed; the message is libpq's.</exception>
    public Session Connect(string connectionString, bool onNativeFiber = true)
    {
        IntPtr info = Marshal.StringToCoTaskMemUTF8(connectionString);
        try
        {
            IntPtr conn = Invoke(onNativeFiber, _connectdb, info);
            if (conn == IntPtr.Zero)
                throw new InvalidOperationException("PQconnectdb returned NULL (out of memory).");
            if (_status(conn) != CONNECTION_OK)
            {
                string message = Text(_errorMessage(conn));
                Invoke(onNativeFiber, _finish, conn);
                throw new InvalidOperationException($"PQconnectdb failed: {message}");
            }
            return new Session(this, conn, onNativeFiber);
        }
        finally
        {
            Marshal.FreeCoTaskMem(info);
        }
    }

    /// <summary>
    /// Opens <paramref name="count"/> sessions at once: one <c>PQconnectdb</c> native fiber each, all started
    /// from the calling fiber before any is joined (no managed fiber, so no thread, per session).
    /// </summary>
    /// <exception cref="InvalidOperationException">A connection failed (the others are closed).</exception>
    public List<Session> ConnectAll(string connectionString, int count)
    {
        IntPtr info = Marshal.StringToCoTaskMemUTF8(connectionString);
        long[] conns;
        try
        {
            var fibers = Enumerable.Range(0, count).Select(_ => NativeFiber.Call(_connectdb, info)).ToList();
            conns = [.. fibers.Select(f => f.Join())];
        }
        finally
        {
            Marshal.FreeCoTaskMem(info);
        }
        var sessions = conns.Select(c => new Session(this, checked((IntPtr)c), onNativeFiber: true)).ToList();
        Session? bad = sessions.FirstOrDefault(s => s.Handle == IntPtr.Zero || _status(s.Handle) != CONNECTION_OK);
        if (bad is not null)
        {
            string message = bad.Handle == IntPtr.Zero ? "PQconnectdb returned NULL" : Text(_errorMessage(bad.Handle));
            sessions.ForEach(s => s.Dispose());
            throw new InvalidOperationException($"PQconnectdb failed: {message}");
        }
        return sessions;
    }

    /// <summary>
    /// Runs one statement per session at once (<c>PQexec</c> on one native fiber each, all started from the
    /// calling fiber), calls <paramref name="whileRunning"/> once they are all started, then collects every
    /// session's rows in order.
    /// </summary>
    /// <exception cref="InvalidOperationException">A statement failed; the message is the server's.</exception>
    public static List<string[]>[] QueryAll(IReadOnlyList<Session> sessions, Func<int, string> sql, int columns = 1, Action? whileRunning = null)
    {
        IntPtr[] texts = [.. sessions.Select((_, i) => Marshal.StringToCoTaskMemUTF8(sql(i)))];
        long[] results;
        try
        {
            var fibers = sessions.Select((s, i) => NativeFiber.Call(s.Library._exec, s.Handle, texts[i])).ToList();
            whileRunning?.Invoke();
            results = [.. fibers.Select(f => f.Join())];
        }
        finally
        {
            foreach (IntPtr t in texts)
                Marshal.FreeCoTaskMem(t);
        }
        // Rows frees each result, also when an earlier one throws, so read them all before reporting.
        var rows = new List<string[]>[sessions.Count];
        Exception? first = null;
        for (int i = 0; i < sessions.Count; i++)
        {
            try
            {
                rows[i] = sessions[i].Rows(checked((IntPtr)results[i]), columns);
            }
            catch (InvalidOperationException e)
            {
                first ??= e;
            }
        }
        return first is null ? rows : throw first;
    }

    /// <summary>Calls <paramref name="function"/> on a new native fiber (and waits), or directly on this thread.</summary>
    private static IntPtr Invoke(bool onNativeFiber, IntPtr function, IntPtr a, IntPtr b = 0, IntPtr c = 0)
    {
        if (onNativeFiber)
            return checked((IntPtr)NativeFiber.Call(function, a, b, c).Join());
        return ((delegate* unmanaged<IntPtr, IntPtr, IntPtr, IntPtr>)function)(a, b, c);
    }

    private static string Text(byte* s) => Marshal.PtrToStringUTF8((IntPtr)s)?.Trim() ?? "";

    /// <summary>One libpq connection (<c>PGconn *</c>).</summary>
    public sealed class Session : IDisposable
    {
        private readonly LibPq _pq;
        private readonly bool _native;
        private IntPtr _conn;

        /// <summary>The <c>PGconn *</c> (zero once closed).</summary>
        internal IntPtr Handle => _conn;

        /// <summary>The library the session belongs to.</summary>
        internal LibPq Library => _pq;

        internal Session(LibPq pq, IntPtr conn, bool onNativeFiber)
        {
            _pq = pq;
            _conn = conn;
            _native = onNativeFiber;
        }

        /// <summary>Runs <paramref name="sql"/> with <c>PQexec</c>; returns every row's columns as strings.</summary>
        /// <exception cref="InvalidOperationException">The statement failed; the message is the server's.</exception>
        public List<string[]> Query(string sql, int columns = 1)
        {
            IntPtr text = Marshal.StringToCoTaskMemUTF8(sql);
            IntPtr result;
            try
            {
                result = Invoke(_native, _pq._exec, _conn, text);
            }
            finally
            {
                Marshal.FreeCoTaskMem(text);
            }
            return Rows(result, columns);
        }

        /// <summary>
        /// Runs <paramref name="sql"/> on a native fiber, giving up after <paramref name="timeout"/>: the native
        /// fiber is cancelled (its hooked <c>poll</c> fails with ECANCELED, so <c>PQexec</c> returns), the server is
        /// asked to cancel the statement (<c>PQcancel</c>, on a native fiber too), and this session is closed: after
        /// an interrupted call, libpq's connection is mid-protocol and must not be reused.
        /// </summary>
        /// <returns>The rows, or null if the timeout came first.</returns>
        public List<string[]>? QueryWithin(string sql, TimeSpan timeout)
        {
            IntPtr text = Marshal.StringToCoTaskMemUTF8(sql);
            IntPtr cancel = _pq._getCancel(_conn);
            try
            {
                Fiber<long> exec = NativeFiber.Call(_pq._exec, _conn, text);
                try
                {
                    return Rows(checked((IntPtr)Fiber.TimeoutAfter(timeout, () => exec.Join())), 1);
                }
                catch (FiberTimeoutException)
                {
                    exec.Cancel();
                    try
                    {
                        // Returned anyway (the statement finished as the timeout fired): drop its result.
                        if (exec.Join() is long late and not 0)
                            _pq._clear(checked((IntPtr)late));
                    }
                    catch (FiberFailedException)
                    {
                        // cancelled, as asked
                    }
                    IntPtr errors = Marshal.AllocCoTaskMem(256);
                    try
                    {
                        if (NativeFiber.Call(_pq._cancel, cancel, errors, 256).Join() == 0)
                            throw new InvalidOperationException($"PQcancel failed: {Marshal.PtrToStringUTF8(errors)}");
                    }
                    finally
                    {
                        Marshal.FreeCoTaskMem(errors);
                    }
                    Dispose();
                    return null;
                }
            }
            finally
            {
                _pq._freeCancel(cancel);
                Marshal.FreeCoTaskMem(text);
            }
        }

        internal List<string[]> Rows(IntPtr result, int columns)
        {
            try
            {
                int status = result == IntPtr.Zero ? -1 : _pq._resultStatus(result);
                if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK)
                    throw new InvalidOperationException($"PQexec failed: {(result == IntPtr.Zero ? Text(_pq._errorMessage(_conn)) : Text(_pq._resultErrorMessage(result)))}");
                int n = status == PGRES_TUPLES_OK ? _pq._ntuples(result) : 0;
                var rows = new List<string[]>(n);
                for (int r = 0; r < n; r++)
                {
                    var row = new string[columns];
                    for (int c = 0; c < columns; c++)
                        row[c] = Text(_pq._getvalue(result, r, c));
                    rows.Add(row);
                }
                return rows;
            }
            finally
            {
                if (result != IntPtr.Zero)
                    _pq._clear(result);
            }
        }

        /// <summary>Closes the connection (<c>PQfinish</c>: it tells the server goodbye). Idempotent.</summary>
        public void Dispose()
        {
            if (_conn == IntPtr.Zero)
                return;
            Invoke(_native, _pq._finish, _conn);
            _conn = IntPtr.Zero;
        }
    }
}
