/*
 * got_patch.h: rewrite the global offset table of one loaded ELF object (Linux only).
 *
 * A call from a shared library to an imported function goes through a GOT slot the
 * dynamic loader fills (JUMP_SLOT for calls through the PLT, GLOB_DAT for a taken
 * address). Storing another address there redirects that library's calls, and only
 * that library's: nothing else in the process changes. See got_patch.c.
 */
#ifndef THREDO_GOT_PATCH_H
#define THREDO_GOT_PATCH_H

#if !defined(__linux__)
#  error "got_patch.c is Linux only (ELF); Windows would patch the import address table"
#endif

#include <link.h>
#include <stddef.h>

/* One imported symbol to redirect, and where to. */
typedef struct got_hook {
    const char *name;    /* the symbol's name as imported ("poll") */
    void *replacement;   /* the function its calls go to instead */
} got_hook;

/* Point every GOT slot of the object described by `info` that imports one of
 * hooks[0..count) at its replacement. Slots inside the object's RELRO segment are made
 * writable for the store and read-only again. Returns the number of slots that changed
 * (0 if all were already patched or none imports these symbols), or a negative errno
 * (-ENOEXEC: no dynamic section; a negative errno from mprotect).
 * The caller serialises calls (one patcher at a time). */
int got_patch_object(const struct dl_phdr_info *info, const got_hook *hooks, size_t count);

#endif /* THREDO_GOT_PATCH_H */
