using System.Runtime.InteropServices;
using System.Text;
using static Thredo.BindGen.LibClang;

namespace Thredo.BindGen;

/// <summary>
/// Parses C headers with libclang and turns their <c>thredo_</c> declarations into
/// <see cref="Bindings"/>. Anything it cannot map faithfully is an error naming the declaration,
/// never a guess.
/// </summary>
internal sealed unsafe class HeaderParser : IDisposable
{
    private readonly IntPtr _index;
    private readonly IntPtr _unit;
    private readonly string[] _headers;

    /// <param name="headers">Header paths, bound in this order.</param>
    /// <param name="systemInclude">The C compiler's own include directory (<c>cc -print-file-name=include</c>): the libclang package ships no builtin headers, and stddef.h lives there.</param>
    /// <param name="compilerArgs">More clang arguments: a <c>--target</c> and its C library's include directory, to check that the output does not depend on the platform.</param>
    internal HeaderParser(IReadOnlyList<string> headers, string systemInclude, IReadOnlyList<string>? compilerArgs = null)
    {
        ArgumentOutOfRangeException.ThrowIfZero(headers.Count, nameof(headers));
        _headers = headers.Select(Path.GetFullPath).ToArray();
        foreach (string h in _headers)
            if (!File.Exists(h))
                throw new FileNotFoundException($"header {h} does not exist", h);
        if (!Directory.Exists(systemInclude) || !File.Exists(Path.Combine(systemInclude, "stddef.h")))
            throw new DirectoryNotFoundException($"'{systemInclude}' has no stddef.h: pass the C compiler's include directory (cc -print-file-name=include)");

        string source = string.Concat(_headers.Select(h => $"#include \"{h}\"\n"));
        string[] args =
        [
            "-x", "c", "-std=c11",
            "-isystem", systemInclude,
            "-fparse-all-comments",   // the headers' comments are plain /* */, not doxygen
            .. _headers.Select(h => "-I" + Path.GetDirectoryName(h)).Distinct(StringComparer.Ordinal),
            .. compilerArgs ?? [],
        ];

        _index = clang_createIndex(0, 0);
        try
        {
            _unit = Parse(_index, "thredo_bindings.c", source, args);
            string[] errors = Diagnostics(_unit).ToArray();
            if (errors.Length > 0)
                throw new InvalidOperationException("libclang could not parse the headers:" + Environment.NewLine + string.Join(Environment.NewLine, errors));
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    private static IntPtr Parse(IntPtr index, string fileName, string source, string[] args)
    {
        byte[][] argBytes = args.Select(a => Encoding.UTF8.GetBytes(a + "\0")).ToArray();
        byte[] name = Encoding.UTF8.GetBytes(fileName + "\0");
        byte[] contents = Encoding.UTF8.GetBytes(source);
        var pins = argBytes.Select(b => GCHandle.Alloc(b, GCHandleType.Pinned)).ToList();
        try
        {
            byte** argv = stackalloc byte*[args.Length];
            for (int i = 0; i < args.Length; i++)
                argv[i] = (byte*)pins[i].AddrOfPinnedObject();
            fixed (byte* namePtr = name)
            fixed (byte* contentsPtr = contents)
            {
                var unsaved = new CXUnsavedFile { Filename = namePtr, Contents = contentsPtr, Length = (nuint)contents.Length };
                IntPtr unit;
                int error = clang_parseTranslationUnit2(index, namePtr, argv, args.Length, &unsaved, 1, DetailedPreprocessingRecord | SkipFunctionBodies, &unit);
                if (error != 0)
                    throw new InvalidOperationException($"libclang failed to parse the headers (CXErrorCode {error})");
                return unit;
            }
        }
        finally
        {
            pins.ForEach(p => p.Free());
        }
    }

    private static IEnumerable<string> Diagnostics(IntPtr unit)
    {
        uint count = clang_getNumDiagnostics(unit);
        for (uint i = 0; i < count; i++)
        {
            IntPtr d = clang_getDiagnostic(unit, i);
            if (clang_getDiagnosticSeverity(d) >= 3)   // CXDiagnostic_Error, _Fatal
                yield return Take(clang_formatDiagnostic(d, clang_defaultDiagnosticDisplayOptions()));
            clang_disposeDiagnostic(d);
        }
    }

    /// <summary>Walks the translation unit once, in source order.</summary>
    internal Bindings Read()
    {
        var constants = new List<Constant>();
        var functions = new List<Function>();
        var structs = new List<Struct>();
        foreach (CXCursor c in Children(clang_getTranslationUnitCursor(_unit)))
        {
            if (!InHeaders(c))
                continue;
            string name = Take(clang_getCursorSpelling(c));
            switch (c.Kind)
            {
                case CursorKind.FunctionDecl when name.StartsWith(BindingMap.Prefix, StringComparison.Ordinal):
                    functions.Add(ReadFunction(c, name));
                    break;
                case CursorKind.StructDecl when Children(c).Any(f => f.Kind == CursorKind.FieldDecl):
                    structs.Add(ReadStruct(c, name));
                    break;
                case CursorKind.MacroDefinition when name.StartsWith(BindingMap.ConstantPrefix, StringComparison.Ordinal) && !BindingMap.NotConstants.Contains(name):
                    if (ReadConstant(c, name) is Constant constant)
                        constants.Add(constant);
                    break;
            }
        }
        if (functions.Count == 0)
            throw new InvalidOperationException($"no {BindingMap.Prefix} functions found in {string.Join(", ", _headers)}");
        return new Bindings(_headers.Select(Path.GetFileName).ToArray()!, constants, functions, structs);
    }

    private bool InHeaders(CXCursor cursor)
    {
        IntPtr file;
        uint line, column, offset;
        clang_getFileLocation(clang_getCursorLocation(cursor), &file, &line, &column, &offset);
        if (file == IntPtr.Zero)
            return false;
        string path = Path.GetFullPath(Take(clang_getFileName(file)));
        return _headers.Contains(path, StringComparer.Ordinal);
    }

    private Function ReadFunction(CXCursor c, string name)
    {
        var parameters = new List<Parameter>();
        int count = clang_Cursor_getNumArguments(c);
        for (uint i = 0; i < count; i++)
        {
            CXCursor p = clang_Cursor_getArgument(c, i);
            string cName = Take(clang_getCursorSpelling(p));
            if (cName.Length == 0)
                throw new InvalidOperationException($"{name}: parameter {i + 1} has no name; name every parameter in the header");
            parameters.Add(new Parameter(CSharpNames.Parameter(cName), MapType(clang_getCursorType(p), Position.Parameter, $"{name}({cName})", BindingMap.TakesRawHandle(name))));
        }
        string returns = MapType(clang_getCursorResultType(c), Position.Return, $"{name} (return)", rawHandles: true);
        return new Function(name, returns, parameters, Comment(c), BindingMap.SuppressGCTransition(name));
    }

    private Struct ReadStruct(CXCursor c, string cName)
    {
        if (!BindingMap.Structs.TryGetValue(cName, out string? name))
            throw new InvalidOperationException($"struct {cName} is defined in the headers but has no C# name: add it to BindingMap.Structs");
        CXType type = clang_getCursorType(c);
        var fields = new List<Field>();
        foreach (CXCursor f in Children(c).Where(f => f.Kind == CursorKind.FieldDecl))
        {
            string fieldName = Take(clang_getCursorSpelling(f));
            long offsetBits;
            fixed (byte* n = Encoding.UTF8.GetBytes(fieldName + "\0"))
                offsetBits = clang_Type_getOffsetOf(type, n);
            if (offsetBits < 0 || offsetBits % 8 != 0)
                throw new InvalidOperationException($"{cName}.{fieldName}: libclang gives no byte offset ({offsetBits}); bit-fields are not bound");
            string fieldType = BindingMap.FieldEnums.TryGetValue($"{cName}.{fieldName}", out string? enumName)
                ? enumName
                : MapType(clang_getCursorType(f), Position.Field, $"{cName}.{fieldName}", rawHandles: true);
            fields.Add(new Field(fieldName, CSharpNames.Field(fieldName), fieldType, offsetBits / 8, clang_Type_getSizeOf(clang_getCursorType(f)), Comment(f)));
        }
        return new Struct(cName, name, clang_Type_getSizeOf(type), fields, Comment(c));
    }

    private Constant? ReadConstant(CXCursor c, string name)
    {
        if (clang_Cursor_isMacroFunctionLike(c) != 0)
            throw new InvalidOperationException($"{name}: a function-like macro has no C# counterpart; write a function or constants");
        CXToken* tokens;
        uint count;
        clang_tokenize(_unit, clang_getCursorExtent(c), &tokens, &count);
        try
        {
            if (count == 1)
                return null;   // an include guard
            var words = new List<string>();
            for (uint i = 1; i < count; i++)
                words.Add(Take(clang_getTokenSpelling(_unit, tokens[i])));
            string body = string.Join(" ", words);
            return count == 2 && CSharpNames.IntegerLiteral(body) is (string type, string csharp)
                ? new Constant(name, type, csharp)
                : throw new InvalidOperationException($"{name} is '{body}': only a single integer literal (no L or UL suffix, whose width differs on Windows) becomes a constant");
        }
        finally
        {
            clang_disposeTokens(_unit, tokens, count);
        }
    }

    private enum Position { Parameter, Return, Field, FunctionPointer }

    private string MapType(CXType type, Position position, string where, bool rawHandles)
    {
        switch (type.Kind)
        {
            case TypeKind.Elaborated:
                return MapType(clang_Type_getNamedType(type), position, where, rawHandles);
            case TypeKind.Typedef:
            {
                string name = Take(clang_getTypedefName(type));
                if (BindingMap.Typedefs.TryGetValue(name, out string? mapped))
                    return mapped;
                // One of the headers' own typedefs: a struct (by its struct name) or a function pointer.
                return MapType(OwnTypedefTarget(type, name, where), position, where, rawHandles);
            }
            case TypeKind.Record:
            {
                string name = Take(clang_getCursorSpelling(clang_getTypeDeclaration(type)));
                if (BindingMap.Structs.TryGetValue(name, out string? mapped))
                    return mapped;
                throw new InvalidOperationException($"{where}: struct {name} is passed by value but has no C# name: add it to BindingMap.Structs");
            }
            case TypeKind.Pointer:
                return MapPointer(clang_getPointeeType(type), position, where, rawHandles);
            case TypeKind.Void: return "void";
            case TypeKind.Bool: return "byte";   // C's _Bool is one byte; C# bool is not blittable
            case TypeKind.Int: return "int";
            case TypeKind.UInt: return "uint";
            case TypeKind.Short: return "short";
            case TypeKind.UShort: return "ushort";
            case TypeKind.LongLong: return "long";
            case TypeKind.ULongLong: return "ulong";
            case TypeKind.Long or TypeKind.ULong:
                throw new InvalidOperationException($"{where}: 'long' is 32 bits on Windows and 64 on Linux; use int32_t, int64_t or intptr_t in the header");
            default:
                throw new InvalidOperationException($"{where}: type '{Take(clang_getTypeSpelling(type))}' ({type.Kind}) has no C# mapping in the generator");
        }
    }

    private string MapPointer(CXType pointee, Position position, string where, bool rawHandles)
    {
        CXType target = Unwrap(pointee);
        if (target.Kind is TypeKind.FunctionProto)
            return FunctionPointer(target, where);
        if (target.Kind is TypeKind.FunctionNoProto)
            throw new InvalidOperationException($"{where}: a function pointer without a prototype; write its parameters (void if none)");
        if (target.Kind is TypeKind.Char_S or TypeKind.Char_U or TypeKind.SChar or TypeKind.UChar)
            return "byte*";
        if (HandleName(target) is string handle)
            return position == Position.Parameter && !rawHandles ? handle : "nint";
        if (target.Kind == TypeKind.Pointer && HandleName(Unwrap(clang_getPointeeType(target))) is string outHandle)
        {
            if (position != Position.Parameter)
                throw new InvalidOperationException($"{where}: a pointer to a handle pointer is only bound as an out parameter");
            return "out " + outHandle;
        }
        return MapType(pointee, Position.FunctionPointer, where, rawHandles: true) + "*";
    }

    private string FunctionPointer(CXType proto, string where)
    {
        int count = clang_getNumArgTypes(proto);
        var types = new List<string>();
        for (uint i = 0; i < count; i++)
            types.Add(MapType(clang_getArgType(proto, i), Position.FunctionPointer, where, rawHandles: true));
        types.Add(MapType(clang_getResultType(proto), Position.FunctionPointer, where, rawHandles: true));
        return $"delegate* unmanaged<{string.Join(", ", types)}>";
    }

    /// <summary>Through elaborations and the headers' own typedefs (never the stdint ones, which map by name).</summary>
    private CXType Unwrap(CXType type)
    {
        while (true)
        {
            if (type.Kind == TypeKind.Elaborated)
                type = clang_Type_getNamedType(type);
            else if (type.Kind == TypeKind.Typedef && Take(clang_getTypedefName(type)) is var name && !BindingMap.Typedefs.ContainsKey(name))
                type = OwnTypedefTarget(type, name, name);
            else
                return type;
        }
    }

    /// <summary>
    /// What one of the headers' own typedefs names. A system typedef not in BindingMap.Typedefs
    /// (socklen_t, pid_t) is an error: its canonical type is one platform's.
    /// </summary>
    private CXType OwnTypedefTarget(CXType typedefType, string name, string where)
    {
        CXCursor declaration = clang_getTypeDeclaration(typedefType);
        if (!InHeaders(declaration))
            throw new InvalidOperationException($"{where}: typedef {name} comes from a system header and has no C# mapping: add it to BindingMap.Typedefs");
        return clang_getTypedefDeclUnderlyingType(declaration);
    }

    private static string? HandleName(CXType type) =>
        type.Kind == TypeKind.Record && BindingMap.Handles.TryGetValue(Take(clang_getCursorSpelling(clang_getTypeDeclaration(type))), out string? handle) ? handle : null;

    private static string Comment(CXCursor cursor) => CSharpNames.CommentText(Take(clang_Cursor_getRawCommentText(cursor)));

    public void Dispose()
    {
        if (_unit != IntPtr.Zero)
            clang_disposeTranslationUnit(_unit);
        clang_disposeIndex(_index);
    }
}
