using Thredo.BindGen;

// thredo-bindgen --repo DIR --system-include DIR
//   writes src/Thredo.Fibers/ThredoNative.g.cs from native/include/thredo_native.h and thredo.h
//   (./build.sh bindings). Thredo.BindGen.Tests checks that the committed file is current.
string? repo = null, systemInclude = null;
for (int i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--repo" when i + 1 < args.Length: repo = args[++i]; break;
        case "--system-include" when i + 1 < args.Length: systemInclude = args[++i]; break;
        default:
            Console.Error.WriteLine($"thredo-bindgen: unknown argument '{args[i]}'. Usage: thredo-bindgen --repo DIR --system-include DIR (what cc -print-file-name=include prints)");
            return 2;
    }
}
if (repo is null || systemInclude is null)
{
    Console.Error.WriteLine("thredo-bindgen: --repo and --system-include are required (the include directory is what cc -print-file-name=include prints)");
    return 2;
}

try
{
    string output = ThredoBindings.OutputPath(repo);
    File.WriteAllText(output, ThredoBindings.Generate(repo, systemInclude));
    Console.WriteLine($"thredo-bindgen: wrote {output}");
    return 0;
}
catch (Exception e) when (e is InvalidOperationException or IOException or DllNotFoundException)
{
    Console.Error.WriteLine($"thredo-bindgen: {e.Message}");
    return 1;
}
