using System.Runtime.InteropServices;

namespace Thredo.BindGen;

// The parts of libclang's C API (clang-c/Index.h, CINDEX_VERSION 0.64) the generator uses, with
// the layouts of Index.h's by-value structs. Only what HeaderParser calls is declared.

[StructLayout(LayoutKind.Sequential)]
internal unsafe struct CXString
{
    public void* Data;
    public uint PrivateFlags;
}

[StructLayout(LayoutKind.Sequential)]
internal unsafe struct CXCursor
{
    public CursorKind Kind;
    public int XData;
    public void* Data0, Data1, Data2;
}

[StructLayout(LayoutKind.Sequential)]
internal unsafe struct CXType
{
    public TypeKind Kind;
    public void* Data0, Data1;
}

[StructLayout(LayoutKind.Sequential)]
internal unsafe struct CXSourceLocation
{
    public void* Ptr0, Ptr1;
    public uint IntData;
}

[StructLayout(LayoutKind.Sequential)]
internal unsafe struct CXSourceRange
{
    public void* Ptr0, Ptr1;
    public uint BeginIntData, EndIntData;
}

[StructLayout(LayoutKind.Sequential)]
internal unsafe struct CXToken
{
    public uint Int0, Int1, Int2, Int3;
    public void* PtrData;
}

[StructLayout(LayoutKind.Sequential)]
internal unsafe struct CXUnsavedFile
{
    public byte* Filename;
    public byte* Contents;
    public nuint Length;
}

/// <summary>The <c>CXCursorKind</c> values the generator looks at.</summary>
internal enum CursorKind
{
    StructDecl = 2,
    FieldDecl = 6,
    FunctionDecl = 8,
    ParmDecl = 10,
    TypedefDecl = 20,
    MacroDefinition = 501,
}

/// <summary>The <c>CXTypeKind</c> values the generator maps.</summary>
internal enum TypeKind
{
    Void = 2,
    Bool = 3,
    Char_U = 4,
    UChar = 5,
    UShort = 8,
    UInt = 9,
    ULong = 10,
    ULongLong = 11,
    Char_S = 13,
    SChar = 14,
    Short = 16,
    Int = 17,
    Long = 18,
    LongLong = 19,
    Pointer = 101,
    Record = 105,
    Typedef = 107,
    FunctionNoProto = 110,
    FunctionProto = 111,
    Elaborated = 119,
}

internal static unsafe partial class LibClang
{
    private const string Lib = "libclang";

    internal const uint DetailedPreprocessingRecord = 0x01;
    internal const uint SkipFunctionBodies = 0x40;

    [LibraryImport(Lib)] internal static partial IntPtr clang_createIndex(int excludeDeclarationsFromPch, int displayDiagnostics);
    [LibraryImport(Lib)] internal static partial void clang_disposeIndex(IntPtr index);
    [LibraryImport(Lib)] internal static partial int clang_parseTranslationUnit2(IntPtr index, byte* sourceFilename, byte** commandLineArgs, int numCommandLineArgs,
        CXUnsavedFile* unsavedFiles, uint numUnsavedFiles, uint options, IntPtr* translationUnit);
    [LibraryImport(Lib)] internal static partial void clang_disposeTranslationUnit(IntPtr translationUnit);

    [LibraryImport(Lib)] internal static partial uint clang_getNumDiagnostics(IntPtr translationUnit);
    [LibraryImport(Lib)] internal static partial IntPtr clang_getDiagnostic(IntPtr translationUnit, uint index);
    [LibraryImport(Lib)] internal static partial int clang_getDiagnosticSeverity(IntPtr diagnostic);
    [LibraryImport(Lib)] internal static partial CXString clang_formatDiagnostic(IntPtr diagnostic, uint options);
    [LibraryImport(Lib)] internal static partial uint clang_defaultDiagnosticDisplayOptions();
    [LibraryImport(Lib)] internal static partial void clang_disposeDiagnostic(IntPtr diagnostic);

    [LibraryImport(Lib)] internal static partial byte* clang_getCString(CXString text);
    [LibraryImport(Lib)] internal static partial void clang_disposeString(CXString text);

    [LibraryImport(Lib)] internal static partial CXCursor clang_getTranslationUnitCursor(IntPtr translationUnit);
    [LibraryImport(Lib)] internal static partial uint clang_visitChildren(CXCursor parent, delegate* unmanaged<CXCursor, CXCursor, IntPtr, int> visitor, IntPtr clientData);
    [LibraryImport(Lib)] internal static partial CXString clang_getCursorSpelling(CXCursor cursor);
    [LibraryImport(Lib)] internal static partial CXSourceLocation clang_getCursorLocation(CXCursor cursor);
    [LibraryImport(Lib)] internal static partial CXSourceRange clang_getCursorExtent(CXCursor cursor);
    [LibraryImport(Lib)] internal static partial CXType clang_getCursorType(CXCursor cursor);
    [LibraryImport(Lib)] internal static partial CXType clang_getCursorResultType(CXCursor cursor);
    [LibraryImport(Lib)] internal static partial int clang_Cursor_getNumArguments(CXCursor cursor);
    [LibraryImport(Lib)] internal static partial CXCursor clang_Cursor_getArgument(CXCursor cursor, uint index);
    [LibraryImport(Lib)] internal static partial CXString clang_Cursor_getRawCommentText(CXCursor cursor);
    [LibraryImport(Lib)] internal static partial uint clang_Cursor_isMacroFunctionLike(CXCursor cursor);
    [LibraryImport(Lib)] internal static partial CXType clang_getTypedefDeclUnderlyingType(CXCursor cursor);
    [LibraryImport(Lib)] internal static partial void clang_getFileLocation(CXSourceLocation location, IntPtr* file, uint* line, uint* column, uint* offset);
    [LibraryImport(Lib)] internal static partial CXString clang_getFileName(IntPtr file);

    [LibraryImport(Lib)] internal static partial CXString clang_getTypeSpelling(CXType type);
    [LibraryImport(Lib)] internal static partial CXString clang_getTypedefName(CXType type);
    [LibraryImport(Lib)] internal static partial CXCursor clang_getTypeDeclaration(CXType type);
    [LibraryImport(Lib)] internal static partial CXType clang_getPointeeType(CXType type);
    [LibraryImport(Lib)] internal static partial CXType clang_Type_getNamedType(CXType type);
    [LibraryImport(Lib)] internal static partial CXType clang_getResultType(CXType type);
    [LibraryImport(Lib)] internal static partial int clang_getNumArgTypes(CXType type);
    [LibraryImport(Lib)] internal static partial CXType clang_getArgType(CXType type, uint index);
    [LibraryImport(Lib)] internal static partial uint clang_isConstQualifiedType(CXType type);
    [LibraryImport(Lib)] internal static partial long clang_Type_getSizeOf(CXType type);
    [LibraryImport(Lib)] internal static partial long clang_Type_getOffsetOf(CXType type, byte* field);

    [LibraryImport(Lib)] internal static partial void clang_tokenize(IntPtr translationUnit, CXSourceRange range, CXToken** tokens, uint* numTokens);
    [LibraryImport(Lib)] internal static partial CXString clang_getTokenSpelling(IntPtr translationUnit, CXToken token);
    [LibraryImport(Lib)] internal static partial void clang_disposeTokens(IntPtr translationUnit, CXToken* tokens, uint numTokens);

    [LibraryImport(Lib)] internal static partial CXString clang_getClangVersion();

    /// <summary>The text of a libclang string, which is then disposed.</summary>
    internal static string Take(CXString text)
    {
        string result = Marshal.PtrToStringUTF8((IntPtr)clang_getCString(text)) ?? "";
        clang_disposeString(text);
        return result;
    }

    /// <summary>The direct children of <paramref name="parent"/>, in source order.</summary>
    internal static List<CXCursor> Children(CXCursor parent)
    {
        var children = new List<CXCursor>();
        GCHandle handle = GCHandle.Alloc(children);
        try
        {
            _ = clang_visitChildren(parent, &Collect, GCHandle.ToIntPtr(handle));   // nonzero only when a visitor breaks; Collect never does
        }
        finally
        {
            handle.Free();
        }
        return children;
    }

    [UnmanagedCallersOnly]
    private static int Collect(CXCursor cursor, CXCursor parent, IntPtr clientData)
    {
        ((List<CXCursor>)GCHandle.FromIntPtr(clientData).Target!).Add(cursor);
        return 1;   // CXChildVisit_Continue: siblings only, the caller recurses where it wants
    }
}
