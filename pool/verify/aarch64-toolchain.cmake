# Cross-build LockPool for aarch64 Linux with Debian's gcc-aarch64-linux-gnu and run its
# tests under qemu-user (Debian's qemu-user): see pool/verify/README.md, "aarch64".
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
# No aarch64 g++ in our package list: a defined-but-false C++ compiler makes the C++
# header test's check_language(CXX) skip it instead of picking the host's g++.
set(CMAKE_CXX_COMPILER CMAKE_CXX_COMPILER-NOTFOUND)
set(CMAKE_FIND_ROOT_PATH /usr/aarch64-linux-gnu)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
# Host .pc files (cmocka, libuv for x86-64) must not leak in: the optional tests that
# need them are skipped, with the message pool/tests prints.
set(ENV{PKG_CONFIG_LIBDIR} /usr/lib/aarch64-linux-gnu/pkgconfig:/usr/aarch64-linux-gnu/lib/pkgconfig)
set(ENV{PKG_CONFIG_PATH} "")
set(CMAKE_CROSSCOMPILING_EMULATOR qemu-aarch64;-L;/usr/aarch64-linux-gnu)
