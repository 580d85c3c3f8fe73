# Extracts the runnable samples of one Markdown file: every ```csharp runnable block becomes
# OUT/BASE-NN/Program.cs, and a ```text expected-output block right after it (blank lines between
# allowed) becomes OUT/BASE-NN/expected.txt. Prints the sample directories made.
#   awk -v out=DIR -v base=NAME -f extract.awk FILE.md
/^```/ && mode != "" {
  mode = ""; if (kind == "code") pending = dir; next
}
mode == "code"     { print > (dir "/Program.cs"); next }
mode == "expected" { print > (dir "/expected.txt"); next }
/^```csharp runnable[ \t]*$/ {
  n++; dir = sprintf("%s/%s-%02d", out, base, n); system("mkdir -p '" dir "'")
  printf "" > (dir "/Program.cs"); mode = "code"; kind = "code"; print dir; next
}
/^```text expected-output[ \t]*$/ && pending != "" {
  dir = pending; pending = ""; printf "" > (dir "/expected.txt"); mode = "expected"; kind = "expected"; next
}
/^[ \t]*$/ { next }
{ pending = "" }
