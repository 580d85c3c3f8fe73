namespace Thredo.Fibers.Tests;

/// <summary>
/// <see cref="OsThread"/> and the thread-state imports behind it on Windows. Only Linux runs here:
/// these check the imports' marshalling and the Linux answers; tests/native/test_thread_wait_state.c
/// checks the Windows implementation (under Wine, as far as Wine reports thread states).
/// </summary>
public sealed class OsThreadTests
{
    private const int LinuxENOSYS = 38;

    [Fact]
    public void Current_id_is_gettid_on_Linux_and_the_native_library_agrees()
    {
        if (!OperatingSystem.IsLinux())
            return;
        Assert.Equal(Posix.gettid(), OsThread.CurrentId());
        Assert.Equal(unchecked((uint)Posix.gettid()), ThredoNative.thredo_thread_current_id());
    }

    [Fact]
    public unsafe void Windows_thread_state_calls_say_ENOSYS_on_Linux_and_fill_their_outputs()
    {
        if (!OperatingSystem.IsLinux())
            return;
        uint tid = ThredoNative.thredo_thread_current_id();
        int state, waitReason;
        ulong cycles;
        Assert.Equal(-LinuxENOSYS, ThredoNative.thredo_thread_wait_state(tid, &state, &waitReason));
        Assert.Equal(-1, state);
        Assert.Equal(-1, waitReason);
        Assert.Equal(-LinuxENOSYS, ThredoNative.thredo_thread_cycles(tid, &cycles));
    }

    [Fact]
    public void A_thread_asleep_in_Thread_Sleep_is_asleep_and_its_scheduled_time_stands_still()
    {
        if (!OperatingSystem.IsLinux())
            return;
        int tid = 0;
        using var started = new ManualResetEventSlim();
        var sleeper = new Thread(() => { tid = OsThread.CurrentId(); started.Set(); Thread.Sleep(1000); });
        sleeper.Start();
        started.Wait();
        bool asleep = false;
        for (int i = 0; i < 100 && !asleep; i++)
        {
            Thread.Sleep(5);
            asleep = OsThread.IsAsleep(tid);
        }
        Assert.True(asleep);
        long before = OsThread.ScheduledTime(tid);
        Thread.Sleep(50);
        Assert.Equal(before, OsThread.ScheduledTime(tid));
        Assert.False(OsThread.IsAsleep(OsThread.CurrentId()));   // the caller runs
        sleeper.Join();
    }
}
