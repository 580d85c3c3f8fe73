using System.Diagnostics;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;

namespace Thredo.Fibers.Tests;

/// <summary>
/// The three lists of the native API agree: the header's <c>THREDO_API</c> declarations, the
/// built library's export table, and <see cref="ThredoNative"/>'s <c>LibraryImport</c>s
/// (STYLE.md rule 6: one import per C symbol, under the same name).
/// </summary>
/// <remarks>
/// The imports are read by reflection, not by parsing ThredoNative.cs: the C# compiler keeps
/// <see cref="LibraryImportAttribute"/> on the partial method (the generator's implementation
/// part carries no attribute that would hide it), so reflection sees exactly what was compiled,
/// whatever the formatting of the source, and reads <c>EntryPoint</c> when one is given.
/// </remarks>
public sealed partial class BindingTests
{
    private static string LibraryPath =>
        Path.Combine(Repo.Root, "artifacts", "native", "linux-" + Arch, "native", "libthredo_native.so");

    private static string Arch => RuntimeInformation.ProcessArchitecture == Architecture.Arm64 ? "arm64" : "x64";

    [LinuxFact]
    public void Every_export_has_exactly_one_LibraryImport_and_every_import_an_export()
    {
        HashSet<string> exports = ReadExports();
        Dictionary<string, List<string>> imports = ReadImports();

        var problems = new List<string>();
        foreach (string export in exports.Order(StringComparer.Ordinal))
        {
            int count = imports.TryGetValue(export, out List<string>? methods) ? methods.Count : 0;
            if (count != 1)
                problems.Add($"export {export} has {count} LibraryImport(s) in ThredoNative (expected exactly 1){(count > 1 ? ": " + string.Join(", ", methods!) : "")}");
        }
        foreach (string import in imports.Keys.Where(i => !exports.Contains(i)).Order(StringComparer.Ordinal))
            problems.Add($"ThredoNative imports {import}, which {LibraryPath} does not export");

        Assert.True(problems.Count == 0, string.Join(Environment.NewLine, problems));
    }

    [LinuxFact]
    public void Header_declarations_and_export_table_agree()
    {
        HashSet<string> exports = ReadExports();
        HashSet<string> declared = ReadHeaderDeclarations();

        var problems = new List<string>();
        foreach (string name in declared.Where(d => !exports.Contains(d)).Order(StringComparer.Ordinal))
            problems.Add($"{string.Join(" or ", Headers)} declares {name}, but {LibraryPath} does not export it");
        foreach (string name in exports.Where(e => !declared.Contains(e)).Order(StringComparer.Ordinal))
            problems.Add($"{LibraryPath} exports {name}, which neither {string.Join(" nor ", Headers)} declares with THREDO_API");

        Assert.True(problems.Count == 0, string.Join(Environment.NewLine, problems));
    }

    [LinuxFact]
    public void Library_exports_only_thredo_prefixed_symbols()
    {
        // thredo_native.h: "Every exported symbol has the thredo_ prefix." Linker-made markers aside.
        string[] linkerSymbols = ["_init", "_fini", "_edata", "_end", "__bss_start"];
        string[] stray = ReadDynamicSymbols().Where(s => !s.StartsWith("thredo_", StringComparison.Ordinal) && !linkerSymbols.Contains(s))
            .Order(StringComparer.Ordinal).ToArray();
        Assert.True(stray.Length == 0, $"{LibraryPath} exports symbols without the thredo_ prefix: {string.Join(", ", stray)}");
    }

    [Fact]
    public void Header_parser_finds_the_known_declarations()
    {
        // Guards the regex: if the header's layout changed so that it found nothing, the
        // comparisons above would pass vacuously.
        HashSet<string> declared = ReadHeaderDeclarations();
        Assert.Contains("thredo_switch_kind", declared);
        Assert.Contains("thredo_fiber_create", declared);
        Assert.Contains("thredo_poller_wait", declared);
        Assert.True(declared.Count >= 20, $"only {declared.Count} declarations found: {string.Join(", ", declared)}");
    }

    [Fact]
    public void Every_LibraryImport_names_thredo_native_and_a_thredo_symbol()
    {
        Dictionary<string, List<string>> imports = ReadImports();
        Assert.True(imports.Count >= 20, $"only {imports.Count} imports found");
        Assert.All(imports.Keys, name => Assert.StartsWith("thredo_", name, StringComparison.Ordinal));
    }

    /// <summary>Entry point name to the ThredoNative methods importing it.</summary>
    private static Dictionary<string, List<string>> ReadImports()
    {
        var imports = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (MethodInfo method in typeof(ThredoNative).GetMethods(BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
        {
            LibraryImportAttribute? import = method.GetCustomAttribute<LibraryImportAttribute>();
            if (import is null)
            {
                Assert.False(method.Name.StartsWith("thredo_", StringComparison.Ordinal),
                    $"ThredoNative.{method.Name} looks like an import but has no LibraryImport attribute");
                continue;
            }
            Assert.True(import.LibraryName == NativeLibraryResolver.LibraryName,
                $"ThredoNative.{method.Name} imports from '{import.LibraryName}', not '{NativeLibraryResolver.LibraryName}'");
            string entry = import.EntryPoint ?? method.Name;
            if (!imports.TryGetValue(entry, out List<string>? list))
                imports[entry] = list = [];
            list.Add($"ThredoNative.{method.Name}");
        }
        return imports;
    }

    /// <summary>The public headers: the library's own API, and thredo.h for C code on native fibers.</summary>
    private static readonly string[] Headers = ["thredo_native.h", "thredo.h"];

    private static HashSet<string> ReadHeaderDeclarations() =>
        Headers.SelectMany(h => DeclarationRegex().Matches(CommentRegex().Replace(File.ReadAllText(Path.Combine(Repo.Root, "native", "include", h)), " ")))
               .Select(m => m.Groups[1].Value).ToHashSet(StringComparer.Ordinal);

    private static HashSet<string> ReadExports() =>
        ReadDynamicSymbols().Where(s => s.StartsWith("thredo_", StringComparison.Ordinal)).ToHashSet(StringComparer.Ordinal);

    /// <summary>The defined dynamic symbols of the built library, as <c>nm -D --defined-only</c> lists them.</summary>
    private static List<string> ReadDynamicSymbols()
    {
        Assert.True(File.Exists(LibraryPath), $"{LibraryPath} does not exist: build the native library with ./build.sh first.");
        var start = new ProcessStartInfo("nm")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string arg in new[] { "-D", "--defined-only", LibraryPath })
            start.ArgumentList.Add(arg);
        using Process nm = Process.Start(start) ?? throw new InvalidOperationException("could not start nm");
        Task<string> stderr = nm.StandardError.ReadToEndAsync();
        string stdout = nm.StandardOutput.ReadToEnd();
        nm.WaitForExit();
        Assert.True(nm.ExitCode == 0, $"nm -D --defined-only {LibraryPath} failed ({nm.ExitCode}): {stderr.Result}");

        // Lines look like "0000000000001a40 T thredo_switch_kind" (versioned names end in @VER).
        var symbols = new List<string>();
        foreach (string line in stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            string[] fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length >= 2)
                symbols.Add(fields[^1].Split('@')[0]);
        }
        Assert.True(symbols.Count > 0, $"nm found no dynamic symbols in {LibraryPath}");
        return symbols;
    }

    [GeneratedRegex(@"/\*.*?\*/|//[^\n]*", RegexOptions.Singleline)]
    private static partial Regex CommentRegex();

    /// <summary>"THREDO_API &lt;return type&gt; thredo_name(": the return type is words, spaces and stars only.</summary>
    [GeneratedRegex(@"\bTHREDO_API\s+[\w\s\*]*?\b(thredo_\w+)\s*\(")]
    private static partial Regex DeclarationRegex();
}
