using System.Text;
using System.Text.RegularExpressions;

namespace Thredo.BindGen;

/// <summary>C spellings to C# ones: names, integer literals, comments.</summary>
internal static partial class CSharpNames
{
    private static readonly HashSet<string> Keywords = new(StringComparer.Ordinal)
    {
        "abstract", "as", "base", "bool", "break", "byte", "case", "catch", "char", "checked", "class", "const", "continue",
        "decimal", "default", "delegate", "do", "double", "else", "enum", "event", "explicit", "extern", "false", "finally",
        "fixed", "float", "for", "foreach", "goto", "if", "implicit", "in", "int", "interface", "internal", "is", "lock",
        "long", "namespace", "new", "null", "object", "operator", "out", "override", "params", "private", "protected",
        "public", "readonly", "ref", "return", "sbyte", "sealed", "short", "sizeof", "stackalloc", "static", "string",
        "struct", "switch", "this", "throw", "true", "try", "typeof", "uint", "ulong", "unchecked", "unsafe", "ushort",
        "using", "virtual", "void", "volatile", "while",
    };

    /// <summary><c>stack_size</c> → <c>stackSize</c>; a C# keyword gets an <c>@</c>.</summary>
    internal static string Parameter(string cName)
    {
        string[] words = Words(cName);
        string name = words[0] + string.Concat(words.Skip(1).Select(Capitalize));
        return Keywords.Contains(name) ? "@" + name : name;
    }

    /// <summary><c>reserved2</c> → <c>Reserved2</c>.</summary>
    internal static string Field(string cName) => string.Concat(Words(cName).Select(Capitalize));

    private static string[] Words(string cName)
    {
        string[] words = cName.Split('_', StringSplitOptions.RemoveEmptyEntries);
        return words.Length > 0 ? words : throw new InvalidOperationException($"'{cName}' has no letters to make a C# name of");
    }

    private static string Capitalize(string word) => char.ToUpperInvariant(word[0]) + word[1..];

    /// <summary>A C integer literal as a C# constant's type and spelling, or null for anything else.</summary>
    internal static (string Type, string Literal)? IntegerLiteral(string c)
    {
        Match m = IntegerRegex().Match(c);
        if (!m.Success)
            return null;
        string digits = m.Groups[1].Value;
        string suffix = m.Groups[2].Value.ToUpperInvariant();
        return suffix switch
        {
            "" => ("int", digits),
            "U" => ("uint", digits + "u"),
            "LL" => ("long", digits + "L"),
            "ULL" or "LLU" => ("ulong", digits + "UL"),
            _ => null,   // L and UL differ in width between Windows and Linux
        };
    }

    [GeneratedRegex(@"^(0[xX][0-9a-fA-F]+|[1-9][0-9]*|0)([uUlL]*)$")]
    private static partial Regex IntegerRegex();

    /// <summary>
    /// The words of the <c>/* */</c> or <c>//</c> comments before a declaration, one string per
    /// line, without the markers. libclang joins adjacent comments; a section divider
    /// (<c>/* ---- name */</c>) among them is the header's layout, not the declaration's documentation.
    /// </summary>
    internal static string CommentText(string raw)
    {
        var lines = new List<string>();
        foreach (string comment in raw.Replace("\r", "", StringComparison.Ordinal).Split("*/"))
        {
            if (comment.TrimStart().TrimStart('/', '*').TrimStart().StartsWith("--", StringComparison.Ordinal))
                continue;
            lines.AddRange(CommentLines(comment));
        }
        return string.Join("\n", lines.SkipWhile(l => l.Length == 0).Reverse().SkipWhile(l => l.Length == 0).Reverse());
    }

    private static IEnumerable<string> CommentLines(string comment)
    {
        foreach (string line in comment.Split('\n'))
        {
            string t = line.Trim();
            if (t.StartsWith("/*", StringComparison.Ordinal))
                t = t.TrimStart('/', '*');
            if (t.EndsWith("*/", StringComparison.Ordinal))
                t = t[..^2];
            if (t.StartsWith("//", StringComparison.Ordinal))
                t = t.TrimStart('/');
            else if (t.StartsWith('*'))
                t = t[1..];
            yield return t.Trim();
        }
    }

    /// <summary>Text for an XML doc comment.</summary>
    internal static string Xml(string text)
    {
        var b = new StringBuilder(text.Length);
        foreach (char ch in text)
            b.Append(ch switch { '&' => "&amp;", '<' => "&lt;", '>' => "&gt;", _ => ch.ToString() });
        return b.ToString();
    }
}
