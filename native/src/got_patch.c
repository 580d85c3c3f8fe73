/*
 * got_patch.c: redirect an ELF object's imported functions by rewriting its GOT.
 *
 * The object's PT_DYNAMIC segment leads to its dynamic symbol and string tables and to
 * its two RELA tables: DT_JMPREL (PLT calls, JUMP_SLOT relocations) and DT_RELA (data,
 * where a taken function address is a GLOB_DAT relocation). Each relocation of a named
 * symbol that the object imports (st_shndx == SHN_UNDEF: a symbol the object defines
 * itself is its own business) gets the replacement stored at base + r_offset.
 *
 * Lazy binding: an unresolved JUMP_SLOT holds the PLT's resolver stub; overwriting it
 * simply skips the resolution. Full RELRO (-z relro -z now): the GOT lies inside
 * PT_GNU_RELRO, which the loader made read-only after relocating, so the page is made
 * writable for the store and read-only again (what the loader left it as).
 *
 * Same approach as plthook (kubo/plthook) and the GOT hooks of libco/libgo, written
 * here from the ELF and psABI specifications.
 */
#define _GNU_SOURCE
#include "got_patch.h"

#include <elf.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#if defined(__x86_64__)
#  define GOT_R_JUMP_SLOT R_X86_64_JUMP_SLOT
#  define GOT_R_GLOB_DAT  R_X86_64_GLOB_DAT
#elif defined(__aarch64__)
#  define GOT_R_JUMP_SLOT R_AARCH64_JUMP_SLOT
#  define GOT_R_GLOB_DAT  R_AARCH64_GLOB_DAT
#else
#  error "got_patch.c knows the relocation types of x86-64 and AArch64 only"
#endif

/* What the dynamic section says about the object's imports. */
typedef struct dyn_tables {
    const ElfW(Sym) *symtab;
    const char *strtab;
    const ElfW(Rela) *jmprel;  /* DT_JMPREL */
    size_t jmprel_size;        /* DT_PLTRELSZ, bytes */
    const ElfW(Rela) *rela;    /* DT_RELA */
    size_t rela_size;          /* DT_RELASZ, bytes */
} dyn_tables;

/* glibc relocates these d_ptr values in place when it loads the object (x86-64 and
 * AArch64 keep .dynamic writable); other loaders (musl) leave them as offsets. A value
 * below the load base can only be an offset. */
static const void *dyn_address(ElfW(Addr) base, ElfW(Addr) value)
{
    return (const void *)(value < base ? base + value : value);
}

static int read_dynamic(const struct dl_phdr_info *info, dyn_tables *t)
{
    const ElfW(Dyn) *dyn = NULL;
    for (int i = 0; i < info->dlpi_phnum; i++)
        if (info->dlpi_phdr[i].p_type == PT_DYNAMIC)
            dyn = (const ElfW(Dyn) *)(info->dlpi_addr + info->dlpi_phdr[i].p_vaddr);
    if (!dyn)
        return -ENOEXEC;
    memset(t, 0, sizeof *t);
    ElfW(Addr) base = info->dlpi_addr;
    for (; dyn->d_tag != DT_NULL; dyn++) {
        switch (dyn->d_tag) {
        case DT_SYMTAB: t->symtab = dyn_address(base, dyn->d_un.d_ptr); break;
        case DT_STRTAB: t->strtab = dyn_address(base, dyn->d_un.d_ptr); break;
        case DT_JMPREL: t->jmprel = dyn_address(base, dyn->d_un.d_ptr); break;
        case DT_PLTRELSZ: t->jmprel_size = dyn->d_un.d_val; break;
        case DT_RELA: t->rela = dyn_address(base, dyn->d_un.d_ptr); break;
        case DT_RELASZ: t->rela_size = dyn->d_un.d_val; break;
        case DT_PLTREL:
            /* x86-64 and AArch64 use RELA only; a REL PLT would be misread below. */
            if (dyn->d_un.d_val != DT_RELA)
                return -ENOEXEC;
            break;
        default: break;
        }
    }
    return t->symtab && t->strtab ? 0 : -ENOEXEC;
}

/* Whether addr lies in the part of the object's RELRO segment the loader made read-only:
 * glibc's _dl_protect_relro protects whole pages only, from the segment's start rounded down
 * to its end rounded down, so a slot on a last partial page (64 KiB pages) stays writable. */
static int in_relro(const struct dl_phdr_info *info, uintptr_t addr)
{
    uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_GNU_RELRO)
            continue;
        uintptr_t lo = (info->dlpi_addr + ph->p_vaddr) & ~(page - 1);
        uintptr_t hi = (info->dlpi_addr + ph->p_vaddr + ph->p_memsz) & ~(page - 1);
        if (addr >= lo && addr < hi)
            return 1;
    }
    return 0;
}

/* Store `value` in the GOT slot at `slot`; 1 if it changed, 0 if it held it already. */
static int store_slot(const struct dl_phdr_info *info, void **slot, void *value)
{
    if (__atomic_load_n(slot, __ATOMIC_RELAXED) == value)
        return 0;
    if (!in_relro(info, (uintptr_t)slot)) {
        __atomic_store_n(slot, value, __ATOMIC_RELEASE);
        return 1;
    }
    /* The page stays readable throughout: a thread calling through this GOT right now
     * reads either the old target or the new one, both valid functions. */
    uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
    void *start = (void *)((uintptr_t)slot & ~(page - 1));
    size_t len = ((uintptr_t)slot + sizeof(void *) - (uintptr_t)start + page - 1) & ~(page - 1);
    if (mprotect(start, len, PROT_READ | PROT_WRITE) != 0)
        return -errno;
    __atomic_store_n(slot, value, __ATOMIC_RELEASE);
    if (mprotect(start, len, PROT_READ) != 0)
        return -errno;
    return 1;
}

static const got_hook *find_hook(const char *name, const got_hook *hooks, size_t count)
{
    for (size_t i = 0; i < count; i++)
        if (strcmp(name, hooks[i].name) == 0)
            return &hooks[i];
    return NULL;
}

/* Patch the JUMP_SLOT/GLOB_DAT relocations of one RELA table; slots changed or -errno. */
static int patch_table(const struct dl_phdr_info *info, const dyn_tables *t,
                       const ElfW(Rela) *rel, size_t bytes, const got_hook *hooks, size_t count)
{
    int changed = 0;
    for (size_t i = 0; rel && i < bytes / sizeof *rel; i++) {
        unsigned long type = ELF64_R_TYPE(rel[i].r_info);
        if (type != GOT_R_JUMP_SLOT && type != GOT_R_GLOB_DAT)
            continue;
        const ElfW(Sym) *sym = &t->symtab[ELF64_R_SYM(rel[i].r_info)];
        if (sym->st_shndx != SHN_UNDEF || sym->st_name == 0)
            continue;
        const got_hook *h = find_hook(t->strtab + sym->st_name, hooks, count);
        if (!h)
            continue;
        int rc = store_slot(info, (void **)(info->dlpi_addr + rel[i].r_offset), h->replacement);
        if (rc < 0)
            return rc;
        changed += rc;
    }
    return changed;
}

int got_patch_object(const struct dl_phdr_info *info, const got_hook *hooks, size_t count)
{
    dyn_tables t;
    int rc = read_dynamic(info, &t);
    if (rc < 0)
        return rc;
    int a = patch_table(info, &t, t.jmprel, t.jmprel_size, hooks, count);
    if (a < 0)
        return a;
    int b = patch_table(info, &t, t.rela, t.rela_size, hooks, count);
    if (b < 0)
        return b;
    return a + b;
}
