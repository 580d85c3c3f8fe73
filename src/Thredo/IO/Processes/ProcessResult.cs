namespace Thredo.IO;

/// <summary>What <see cref="FiberProcess.Run(string, string[])"/> collected from a child that ran to its end.</summary>
/// <param name="ExitCode">The child's exit status (0 to 255), or 128 plus the signal number if a signal ended it.</param>
/// <param name="StandardOutput">Everything the child wrote to its stdout, decoded as UTF-8.</param>
/// <param name="StandardError">Everything the child wrote to its stderr, decoded as UTF-8.</param>
public sealed record ProcessResult(int ExitCode, string StandardOutput, string StandardError);
