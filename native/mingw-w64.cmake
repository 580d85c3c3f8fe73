# Cross-compile thredo_native for Windows x64 with mingw-w64; tests run under Wine.
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)
set(CMAKE_C_COMPILER x86_64-w64-mingw32-gcc)
# The top-level project() enables C++ (for benchmarks, which the Windows build does
# not build). gcc-mingw-w64 alone has no g++: let the C driver stand in, unchecked.
find_program(THREDO_MINGW_CXX x86_64-w64-mingw32-g++)
if(THREDO_MINGW_CXX)
  set(CMAKE_CXX_COMPILER ${THREDO_MINGW_CXX})
else()
  set(CMAKE_CXX_COMPILER x86_64-w64-mingw32-gcc)
  set(CMAKE_CXX_COMPILER_WORKS TRUE)
endif()
set(CMAKE_ASM_COMPILER x86_64-w64-mingw32-gcc)
set(CMAKE_RC_COMPILER x86_64-w64-mingw32-windres)
set(CMAKE_FIND_ROOT_PATH /usr/x86_64-w64-mingw32)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)

# Debian puts the 64-bit loader in /usr/lib/wine; `wine` also runs 64-bit binaries.
find_program(THREDO_WINE NAMES wine64 wine PATHS /usr/lib/wine /usr/bin NO_CMAKE_FIND_ROOT_PATH)
if(THREDO_WINE)
  set(CMAKE_CROSSCOMPILING_EMULATOR ${THREDO_WINE})
endif()
