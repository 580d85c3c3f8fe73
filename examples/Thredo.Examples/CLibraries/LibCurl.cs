using System.Runtime.InteropServices;
using Thredo.Native;

namespace Thredo.Examples.CLibraries;

/// <summary>
/// The few libcurl (<c>libcurl.so.4</c>) functions the native-fiber examples, tests and benchmarks use,
/// loaded with <see cref="NativeFiber.LoadLibrary"/> so that <c>curl_easy_perform</c> run with
/// <see cref="NativeFiber.Call"/> suspends its native fiber instead of blocking the thread. The library is
/// unmodified: Debian's build, with OpenSSL.
/// </summary>
internal sealed unsafe class LibCurl
{
    /// <summary>CURLcode: success, and the timeout of CURLOPT_TIMEOUT_MS.</summary>
    public const int CURLE_OK = 0, CURLE_OPERATION_TIMEDOUT = 28;

    private const int CURLOPT_WRITEDATA = 10001, CURLOPT_URL = 10002, CURLOPT_NOSIGNAL = 99,
        CURLOPT_TIMEOUT_MS = 155, CURLOPT_SSL_VERIFYPEER = 64, CURLOPT_SSL_VERIFYHOST = 81;
    private const int CURLINFO_RESPONSE_CODE = 0x200002;
    private const long CURL_GLOBAL_DEFAULT = 3;

    private static readonly Lazy<LibCurl> s_instance = new(() => new LibCurl());

    private readonly delegate* unmanaged<IntPtr> _easyInit;
    private readonly delegate* unmanaged<IntPtr, int, IntPtr, int> _setoptPointer;   // variadic in C: fine for one integer/pointer on x86-64 and AArch64 Linux
    private readonly delegate* unmanaged<IntPtr, int, long, int> _setoptLong;
    private readonly delegate* unmanaged<IntPtr, int, long*, int> _getinfoLong;
    private readonly delegate* unmanaged<IntPtr, void> _easyCleanup;
    private readonly delegate* unmanaged<IntPtr, IntPtr, byte*, IntPtr> _fmemopen;
    private readonly delegate* unmanaged<IntPtr, int> _fclose;

    private LibCurl()
    {
        Handle = NativeFiber.LoadLibrary("libcurl.so.4");
        EasyPerform = NativeLibrary.GetExport(Handle, "curl_easy_perform");
        _easyInit = (delegate* unmanaged<IntPtr>)NativeLibrary.GetExport(Handle, "curl_easy_init");
        _setoptPointer = (delegate* unmanaged<IntPtr, int, IntPtr, int>)NativeLibrary.GetExport(Handle, "curl_easy_setopt");
        _setoptLong = (delegate* unmanaged<IntPtr, int, long, int>)NativeLibrary.GetExport(Handle, "curl_easy_setopt");
        _getinfoLong = (delegate* unmanaged<IntPtr, int, long*, int>)NativeLibrary.GetExport(Handle, "curl_easy_getinfo");
        _easyCleanup = (delegate* unmanaged<IntPtr, void>)NativeLibrary.GetExport(Handle, "curl_easy_cleanup");
        var globalInit = (delegate* unmanaged<long, int>)NativeLibrary.GetExport(Handle, "curl_global_init");
        if (globalInit(CURL_GLOBAL_DEFAULT) != CURLE_OK)
            throw new InvalidOperationException("curl_global_init failed.");
        IntPtr libc = NativeLibrary.Load("libc.so.6");
        _fmemopen = (delegate* unmanaged<IntPtr, IntPtr, byte*, IntPtr>)NativeLibrary.GetExport(libc, "fmemopen");
        _fclose = (delegate* unmanaged<IntPtr, int>)NativeLibrary.GetExport(libc, "fclose");
    }

    /// <summary>The library, loaded and hooked once per process (curl_global_init done).</summary>
    /// <exception cref="DllNotFoundException">libcurl4 is not installed.</exception>
    public static LibCurl Instance => s_instance.Value;

    /// <summary>The handle from <see cref="NativeFiber.LoadLibrary"/>.</summary>
    public IntPtr Handle { get; }

    /// <summary><c>CURLcode curl_easy_perform(CURL *)</c>: the blocking call to run on a native fiber.</summary>
    public IntPtr EasyPerform { get; }

    /// <summary>Runs <c>curl_easy_perform</c> on the calling thread, blocking it (the thread-per-call baseline).</summary>
    public int PerformOnThisThread(Transfer transfer) => ((delegate* unmanaged<IntPtr, int>)EasyPerform)(transfer.Easy);

    /// <summary>One GET of <paramref name="url"/>, its body collected in native memory (libcurl's default writer into an fmemopen stream).</summary>
    public Transfer NewTransfer(string url, int timeoutMs = 0) => new(this, url, timeoutMs);

    /// <summary>A curl easy handle set up for one GET; run <see cref="Easy"/> with <see cref="EasyPerform"/>, then read the result.</summary>
    public sealed class Transfer : IDisposable
    {
        private const int BodyCapacity = 64 * 1024;
        private readonly LibCurl _curl;
        private IntPtr _body, _file;

        internal Transfer(LibCurl curl, string url, int timeoutMs)
        {
            _curl = curl;
            Easy = curl._easyInit();
            if (Easy == IntPtr.Zero)
                throw new InvalidOperationException("curl_easy_init failed.");
            IntPtr u = Marshal.StringToCoTaskMemUTF8(url);
            try
            {
                Check(curl._setoptPointer(Easy, CURLOPT_URL, u));   // libcurl copies the string
            }
            finally
            {
                Marshal.FreeCoTaskMem(u);
            }
            // No signals: a native fiber shares its thread with others, and libcurl's alarm()-based
            // DNS timeout would interrupt whichever fiber runs (docs/native-fibers.md).
            Check(curl._setoptLong(Easy, CURLOPT_NOSIGNAL, 1));
            Check(curl._setoptLong(Easy, CURLOPT_SSL_VERIFYPEER, 0));
            Check(curl._setoptLong(Easy, CURLOPT_SSL_VERIFYHOST, 0));
            if (timeoutMs > 0)
                Check(curl._setoptLong(Easy, CURLOPT_TIMEOUT_MS, timeoutMs));
            _body = (IntPtr)NativeMemory.AllocZeroed(BodyCapacity);
            fixed (byte* mode = "w\0"u8)
                _file = curl._fmemopen(_body, BodyCapacity - 1, mode);
            Check(curl._setoptPointer(Easy, CURLOPT_WRITEDATA, _file));
        }

        /// <summary>The <c>CURL *</c>: the argument of <see cref="EasyPerform"/>.</summary>
        public IntPtr Easy { get; private set; }

        /// <summary>The HTTP status of the last response (0 if none).</summary>
        public long ResponseCode
        {
            get
            {
                long code = 0;
                Check(_curl._getinfoLong(Easy, CURLINFO_RESPONSE_CODE, &code));
                return code;
            }
        }

        /// <summary>The body received (closes the stream: call once, after the transfer).</summary>
        public string Body()
        {
            if (_file != IntPtr.Zero)
            {
                _curl._fclose(_file);
                _file = IntPtr.Zero;
            }
            return Marshal.PtrToStringUTF8(_body) ?? "";
        }

        /// <inheritdoc/>
        public void Dispose()
        {
            if (_file != IntPtr.Zero)
                _curl._fclose(_file);
            _file = IntPtr.Zero;
            if (Easy != IntPtr.Zero)
                _curl._easyCleanup(Easy);
            Easy = IntPtr.Zero;
            NativeMemory.Free((void*)_body);
            _body = IntPtr.Zero;
        }

        private static void Check(int code)
        {
            if (code != CURLE_OK)
                throw new InvalidOperationException($"curl_easy_setopt/getinfo failed with CURLcode {code}.");
        }
    }
}
