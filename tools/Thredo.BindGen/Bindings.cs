namespace Thredo.BindGen;

// What the headers declare, already in C# terms: the parser fills it, CSharpWriter prints it.

/// <summary>A parameter of an imported function.</summary>
internal sealed record Parameter(string Name, string Type);

/// <summary>A <c>THREDO_API</c> function, imported under its own name.</summary>
internal sealed record Function(string Name, string ReturnType, IReadOnlyList<Parameter> Parameters, string Comment, bool SuppressGCTransition);

/// <summary>A field of a blittable struct, with libclang's offset and size.</summary>
internal sealed record Field(string CName, string Name, string Type, long Offset, long Size, string Comment);

/// <summary>A struct the API passes, with libclang's size; the C# twin is sequential and has no padding of its own.</summary>
internal sealed record Struct(string CName, string Name, long Size, IReadOnlyList<Field> Fields, string Comment);

/// <summary>An object-like macro whose body is one integer literal.</summary>
internal sealed record Constant(string Name, string Type, string Literal);

/// <summary>Everything generated from the headers, in header order.</summary>
internal sealed record Bindings(IReadOnlyList<string> Headers, IReadOnlyList<Constant> Constants, IReadOnlyList<Function> Functions, IReadOnlyList<Struct> Structs);
