namespace Thredo.BindGen;

/// <summary>Thredo's headers in, ThredoNative.g.cs out: what the CLI and the tests share.</summary>
internal static class ThredoBindings
{
    /// <summary>Bound in this order; thredo.h includes thredo_native.h.</summary>
    internal static readonly string[] HeaderNames = ["thredo_native.h", "thredo.h"];

    internal static string[] Headers(string repo) => HeaderNames.Select(h => Path.Combine(repo, "native", "include", h)).ToArray();

    internal static string OutputPath(string repo) => Path.Combine(repo, "src", "Thredo.Fibers", "ThredoNative.g.cs");

    internal static Bindings Read(string repo, string systemInclude, IReadOnlyList<string>? compilerArgs = null)
    {
        using var parser = new HeaderParser(Headers(repo), systemInclude, compilerArgs);
        return parser.Read();
    }

    internal static string Generate(string repo, string systemInclude, IReadOnlyList<string>? compilerArgs = null) =>
        CSharpWriter.Write(Read(repo, systemInclude, compilerArgs));
}
