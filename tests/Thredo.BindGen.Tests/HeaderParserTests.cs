namespace Thredo.BindGen.Tests;

/// <summary>How the generator maps C declarations, on small headers written for each case.</summary>
public sealed class HeaderParserTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("thredo-bindgen-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private Bindings Parse(string header) => Parse(header, Toolchain.SystemInclude, null);

    private Bindings Parse(string header, string systemInclude, IReadOnlyList<string>? compilerArgs)
    {
        string path = Path.Combine(_dir, "thredo_test.h");
        File.WriteAllText(path, "#include <stddef.h>\n#include <stdint.h>\n" + header);
        using var parser = new HeaderParser([path], systemInclude, compilerArgs);
        return parser.Read();
    }

    [MingwFact]
    public void The_Windows_arguments_parse_as_Windows()
    {
        // What CommittedBindingsTests passes to compare the Windows output: it must really be LLP64 Windows.
        Bindings b = Parse("""
            #if defined(_WIN32) && defined(_WIN64)
            int thredo_windows(void);
            #endif
            typedef struct thredo_poll_event { uint64_t token; uint32_t events; uint32_t reserved; } thredo_poll_event;
            """, Toolchain.MingwSystemInclude!, CommittedBindingsTests.WindowsArgs);
        Assert.Equal("thredo_windows", Assert.Single(b.Functions).Name);
        Assert.Equal(16, Assert.Single(b.Structs).Size);
    }

    private Function Only(string header) => Assert.Single(Parse(header).Functions);

    [LinuxX64Fact]
    public void Typedef_names_map_to_their_CSharp_widths_not_the_canonical_types()
    {
        Function f = Only("int64_t thredo_f(intptr_t a, size_t b, uint32_t c, int32_t d, uint64_t e);");
        Assert.Equal("long", f.ReturnType);
        Assert.Equal(["nint", "nuint", "uint", "int", "ulong"], f.Parameters.Select(p => p.Type));
        Assert.Equal(["a", "b", "c", "d", "e"], f.Parameters.Select(p => p.Name));
    }

    [LinuxX64Fact]
    public void Plain_long_is_refused_because_its_width_differs_on_Windows()
    {
        var e = Assert.Throws<InvalidOperationException>(() => Parse("int thredo_f(long n);"));
        Assert.Contains("thredo_f(n)", e.Message, StringComparison.Ordinal);
        Assert.Contains("int64_t", e.Message, StringComparison.Ordinal);
    }

    [LinuxX64Fact]
    public void Handle_pointers_become_SafeHandles_out_parameters_and_raw_pointers_where_released()
    {
        Bindings b = Parse("""
            typedef struct thredo_poller thredo_poller;
            int thredo_poller_create(thredo_poller **out);
            int thredo_poller_wake(thredo_poller *poller);
            void thredo_poller_destroy(thredo_poller *poller);
            thredo_poller *thredo_poller_current(void);
            """);
        Assert.Equal("out PollerHandle @out", Param(b, "thredo_poller_create", 0));
        Assert.Equal("PollerHandle poller", Param(b, "thredo_poller_wake", 0));
        Assert.Equal("nint poller", Param(b, "thredo_poller_destroy", 0));
        Assert.Equal("nint", b.Functions.Single(f => f.Name == "thredo_poller_current").ReturnType);
    }

    [LinuxX64Fact]
    public void Function_pointers_become_unmanaged_function_pointers()
    {
        Bindings b = Parse("""
            typedef intptr_t (*thredo_fn)(intptr_t argument);
            int thredo_start(thredo_fn entry, void (*done)(void *), const char *name, int64_t *result);
            """);
        Function f = Assert.Single(b.Functions);
        Assert.Equal(["delegate* unmanaged<nint, nint>", "delegate* unmanaged<void*, void>", "byte*", "long*"], f.Parameters.Select(p => p.Type));
    }

    [Fact]
    public void C_names_become_CSharp_names()
    {
        Assert.Equal("stackSize", CSharpNames.Parameter("stack_size"));
        Assert.Equal("@out", CSharpNames.Parameter("out"));
        Assert.Equal("Reserved2", CSharpNames.Field("reserved2"));
        Assert.Throws<InvalidOperationException>(() => CSharpNames.Parameter("__"));
    }

    [LinuxX64Fact]
    public void A_system_typedef_without_a_mapping_is_refused()
    {
        var e = Assert.Throws<InvalidOperationException>(() => Parse("#include <sys/types.h>\nint thredo_f(pid_t pid);"));
        Assert.Contains("pid_t", e.Message, StringComparison.Ordinal);
        Assert.Contains("BindingMap.Typedefs", e.Message, StringComparison.Ordinal);
    }

    [LinuxX64Fact]
    public void Section_dividers_are_not_documentation()
    {
        Function f = Only("""
            /* ---------------------------------------- hooks */
            /* Patch the library. */
            int thredo_f(void);
            """);
        Assert.Equal("Patch the library.", f.Comment);
    }

    [LinuxX64Fact]
    public void Structs_need_a_CSharp_name_and_get_libclang_offsets()
    {
        var e = Assert.Throws<InvalidOperationException>(() => Parse("typedef struct thredo_thing { int32_t a; } thredo_thing;"));
        Assert.Contains("BindingMap.Structs", e.Message, StringComparison.Ordinal);

        Struct s = Assert.Single(Parse("""
            typedef struct thredo_poll_event { uint64_t token; uint32_t events; uint32_t reserved; } thredo_poll_event;
            int thredo_wait(thredo_poll_event *events, int capacity);
            """).Structs);
        Assert.Equal(("PollEvent", 16L), (s.Name, s.Size));
        Assert.Equal([(0L, 8L, "ulong"), (8L, 4L, "PollEvents"), (12L, 4L, "uint")], s.Fields.Select(f => (f.Offset, f.Size, f.Type)));
    }

    [LinuxX64Fact]
    public void Integer_macros_become_typed_constants_and_guards_and_other_prefixes_are_left_out()
    {
        Bindings b = Parse("""
            #define THREDO_TEST_H
            #define THREDO_A 7
            #define THREDO_B 0x10u
            #define OTHER_E 3
            int thredo_f(void);
            """);
        Assert.Equal([("THREDO_A", "int", "7"), ("THREDO_B", "uint", "0x10u")], b.Constants.Select(c => (c.Name, c.Type, c.Literal)));
    }

    [LinuxX64Theory]
    [InlineData("#define THREDO_X (-1)")]
    [InlineData("#define THREDO_X (1u << 4)")]
    [InlineData("#define THREDO_X 5L")]
    [InlineData("#define THREDO_X \"text\"")]
    [InlineData("#define THREDO_X(a) ((a) + 1)")]
    public void A_THREDO_macro_that_is_not_one_integer_literal_is_refused(string macro)
    {
        var e = Assert.Throws<InvalidOperationException>(() => Parse(macro + "\nint thredo_f(void);"));
        Assert.Contains("THREDO_X", e.Message, StringComparison.Ordinal);
    }

    [LinuxX64Fact]
    public void A_header_that_does_not_compile_is_an_error_with_libclang_s_message()
    {
        var e = Assert.Throws<InvalidOperationException>(() => Parse("int thredo_f(undefined_t x);"));
        Assert.Contains("undefined_t", e.Message, StringComparison.Ordinal);
    }

    [LinuxX64Fact]
    public void A_directory_without_stddef_h_is_refused_with_what_to_pass()
    {
        string path = Path.Combine(_dir, "thredo_x.h");
        File.WriteAllText(path, "int thredo_f(void);\n");
        var e = Assert.Throws<DirectoryNotFoundException>(() => new HeaderParser([path], _dir));
        Assert.Contains("print-file-name=include", e.Message, StringComparison.Ordinal);
    }

    private static string Param(Bindings b, string function, int index)
    {
        Parameter p = b.Functions.Single(f => f.Name == function).Parameters[index];
        return $"{p.Type} {p.Name}";
    }
}
