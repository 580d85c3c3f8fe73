namespace Thredo.Fibers;

/// <summary>
/// One <c>LibraryImport</c> per export of <c>native/include/thredo_native.h</c> and <c>thredo.h</c>,
/// under the same name, with the headers' constants: all generated into ThredoNative.g.cs by
/// tools/Thredo.BindGen (<c>./build.sh bindings</c>). Functions returning <see cref="int"/> return 0
/// (or a count) on success and a negative errno on failure; <see cref="ThrowHelper"/> turns those
/// into exceptions.
/// </summary>
internal static unsafe partial class ThredoNative;
