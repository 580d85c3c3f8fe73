# Cross-compile thredo_native for linux-arm64 with Debian's gcc-aarch64-linux-gnu; tests run under qemu-aarch64.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
# The top-level project() enables C++ (benchmarks, not built here): without g++ the C driver stands in, unchecked.
find_program(THREDO_AARCH64_CXX aarch64-linux-gnu-g++)
if(THREDO_AARCH64_CXX)
  set(CMAKE_CXX_COMPILER ${THREDO_AARCH64_CXX})
else()
  set(CMAKE_CXX_COMPILER aarch64-linux-gnu-gcc)
  set(CMAKE_CXX_COMPILER_WORKS TRUE)
endif()
set(CMAKE_ASM_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_FIND_ROOT_PATH /usr/aarch64-linux-gnu)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)

# qemu-aarch64 finds the target's loader and libc under -L. It accepts MADV_GUARD_INSTALL without
# installing a guard, so the tests run with THREDO_GUARD=mprotect (see stack_posix.c).
find_program(THREDO_QEMU_AARCH64 qemu-aarch64 NO_CMAKE_FIND_ROOT_PATH)
if(THREDO_QEMU_AARCH64)
  set(CMAKE_CROSSCOMPILING_EMULATOR ${THREDO_QEMU_AARCH64} -L /usr/aarch64-linux-gnu)
endif()
