using System.Reflection;
using System.Runtime.InteropServices;

namespace Thredo.BindGen.Tests;

/// <summary>src/Thredo.Fibers/ThredoNative.g.cs is what the headers generate, and its structs are laid out as C lays them out.</summary>
public sealed class CommittedBindingsTests
{
    private static readonly Assembly Fibers = Assembly.Load("Thredo.Fibers");

    /// <summary>clang arguments for x86_64 Windows with mingw-w64's C library headers (Debian's path).</summary>
    internal static readonly string[] WindowsArgs = ["--target=x86_64-w64-windows-gnu", "-nostdinc", "-isystem", "/usr/x86_64-w64-mingw32/include"];

    [LinuxX64Fact]
    public void Committed_bindings_are_what_the_headers_generate()
    {
        string path = ThredoBindings.OutputPath(Toolchain.Repo);
        string committed = File.ReadAllText(path).ReplaceLineEndings("\n");
        string generated = ThredoBindings.Generate(Toolchain.Repo, Toolchain.SystemInclude);
        if (committed == generated)
            return;
        string[] a = committed.Split('\n'), b = generated.Split('\n');
        int line = Enumerable.Range(0, Math.Min(a.Length, b.Length)).FirstOrDefault(i => a[i] != b[i], Math.Min(a.Length, b.Length));
        Assert.Fail($"{path} is not what native/include generates; run ./build.sh bindings and commit the result. " +
                    $"First difference at line {line + 1}:{Environment.NewLine}  committed: {(line < a.Length ? a[line] : "<end>")}{Environment.NewLine}  generated: {(line < b.Length ? b[line] : "<end>")}");
    }

    [LinuxX64Fact]
    public void Every_struct_has_the_size_and_field_offsets_libclang_gives()
    {
        List<string> problems = LayoutProblems(ThredoBindings.Read(Toolchain.Repo, Toolchain.SystemInclude));
        Assert.True(problems.Count == 0, string.Join(Environment.NewLine, problems));
    }

    /// <summary>How the compiled C# structs differ from libclang's layout of their C twins.</summary>
    private static List<string> LayoutProblems(Bindings bindings)
    {
        Assert.NotEmpty(bindings.Structs);
        var problems = new List<string>();
        foreach (Struct s in bindings.Structs)
        {
            Type? type = Fibers.GetType("Thredo.Fibers." + s.Name);
            if (type is null)
            {
                problems.Add($"{s.CName}: Thredo.Fibers has no type {s.Name}");
                continue;
            }
            if (Marshal.SizeOf(type) != s.Size)
                problems.Add($"{s.CName}: C# {s.Name} is {Marshal.SizeOf(type)} bytes, C {s.Size}");
            FieldInfo[] fields = type.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic);
            if (fields.Length != s.Fields.Count)
                problems.Add($"{s.CName}: C# {s.Name} has {fields.Length} fields, C {s.Fields.Count}");
            foreach (Field f in s.Fields)
            {
                FieldInfo? field = type.GetField(f.Name, BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic);
                if (field is null)
                {
                    problems.Add($"{s.CName}.{f.CName}: C# {s.Name} has no field {f.Name}");
                    continue;
                }
                long offset = Marshal.OffsetOf(type, f.Name).ToInt64();
                int size = Marshal.SizeOf(field.FieldType.IsEnum ? Enum.GetUnderlyingType(field.FieldType) : field.FieldType);
                if (offset != f.Offset)
                    problems.Add($"{s.CName}.{f.CName}: C# offset {offset}, C {f.Offset}");
                if (size != f.Size)
                    problems.Add($"{s.CName}.{f.CName}: C# {field.FieldType.Name} is {size} bytes, C {f.Size}");
            }
        }
        return problems;
    }

    [LinuxX64Fact]
    public void Every_header_function_is_imported_once_under_its_own_name()
    {
        Bindings bindings = ThredoBindings.Read(Toolchain.Repo, Toolchain.SystemInclude);
        Type native = Fibers.GetType("Thredo.Fibers.ThredoNative", throwOnError: true)!;
        var imports = native.GetMethods(BindingFlags.Static | BindingFlags.NonPublic | BindingFlags.Public | BindingFlags.DeclaredOnly)
            .Where(m => m.GetCustomAttribute<LibraryImportAttribute>() is not null)
            .GroupBy(m => m.GetCustomAttribute<LibraryImportAttribute>()!.EntryPoint ?? m.Name)
            .ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        Assert.True(bindings.Functions.Count >= 40, $"only {bindings.Functions.Count} functions read from the headers");
        Assert.Equal(bindings.Functions.Select(f => f.Name).Order(StringComparer.Ordinal), imports.Keys.Order(StringComparer.Ordinal));
        Assert.All(imports, i => Assert.Equal(1, i.Value));
    }

    [MingwFact]
    public void The_headers_generate_the_same_bindings_for_Windows()
    {
        // Typedef names are mapped, not canonical types: parsed for x86_64 Windows (LLP64, where long
        // is 32 bits and THREDO_API is dllimport) the output must not change. mingw-w64 provides the
        // Windows C headers; ./build.sh test has them where .ci/run installed gcc-mingw-w64-x86-64.
        string mingwInclude = Toolchain.MingwSystemInclude!;
        string linux = ThredoBindings.Generate(Toolchain.Repo, Toolchain.SystemInclude);
        Bindings windows = ThredoBindings.Read(Toolchain.Repo, mingwInclude, WindowsArgs);
        Assert.Equal(linux, CSharpWriter.Write(windows));
        List<string> problems = LayoutProblems(windows);
        Assert.True(problems.Count == 0, "laid out for Windows: " + string.Join(Environment.NewLine, problems));
    }
}
