/*
 * hook_install.c: thredo_hook_library, which objects it patches, and the dlopen hook.
 *
 * The library behind the handle and everything it depends on (DT_NEEDED, transitively,
 * matched against the loaded objects by DT_SONAME or file name) get their GOTs patched
 * (got_patch.c), except the objects that must keep calling libc directly: glibc itself
 * and the loader (they are what the hooks call), libthredo_native, the .NET runtime
 * (its own waits must block its threads), the C++ runtime it shares, and sanitizer
 * runtimes. The patched objects' dlopen goes to thredo_hook_dlopen, which patches what
 * they load later (OpenSSL engines and providers, NSS, GSSAPI plugins).
 *
 * Limitation: glibc's dlopen looks a relative name up with the RUNPATH of its caller,
 * which for a hooked dlopen is libthredo_native rather than the library that asked.
 */
#define _GNU_SOURCE
#include "hooks.h"
#include "internal.h"

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

static const got_hook hook_table[] = {
    { "poll", (void *)thredo_hook_poll },
    { "ppoll", (void *)thredo_hook_ppoll },
    { "select", (void *)thredo_hook_select },
    { "read", (void *)thredo_hook_read },
    { "write", (void *)thredo_hook_write },
    { "recv", (void *)thredo_hook_recv },
    { "recvfrom", (void *)thredo_hook_recvfrom },
    { "recvmsg", (void *)thredo_hook_recvmsg },
    { "send", (void *)thredo_hook_send },
    { "sendto", (void *)thredo_hook_sendto },
    { "sendmsg", (void *)thredo_hook_sendmsg },
    { "connect", (void *)thredo_hook_connect },
    { "accept", (void *)thredo_hook_accept },
    { "accept4", (void *)thredo_hook_accept4 },
    { "sleep", (void *)thredo_hook_sleep },
    { "usleep", (void *)thredo_hook_usleep },
    { "nanosleep", (void *)thredo_hook_nanosleep },
    { "clock_nanosleep", (void *)thredo_hook_clock_nanosleep },
    { "getaddrinfo", (void *)thredo_hook_getaddrinfo },
    { "dlopen", (void *)thredo_hook_dlopen },
    /* what _FORTIFY_SOURCE builds import instead (Debian's libkrb5, under libcurl: __poll_chk) */
    { "__poll_chk", (void *)thredo_hook_poll_chk },
    { "__ppoll_chk", (void *)thredo_hook_ppoll_chk },
    { "__read_chk", (void *)thredo_hook_read_chk },
    { "__recv_chk", (void *)thredo_hook_recv_chk },
    { "__recvfrom_chk", (void *)thredo_hook_recvfrom_chk },
};

/* File-name prefixes of objects never patched (see the top of this file). */
static const char *const never_patched[] = {
    "libc.so", "libc-", "ld-linux", "ld64.so", "ld-musl", "libpthread.so", "libdl.so",
    "librt.so", "libm.so", "libresolv.so", "libnss_", "libanl.so",
    "libthredo_native", "libcoreclr", "libclrjit", "libclrgc", "libSystem.", "libhostfxr",
    "libhostpolicy", "libmscordaccore", "libmscordbi", "libcoreclrtraceptprovider",
    "libstdc++.so", "libgcc_s.so", "libasan.so", "libubsan.so", "libtsan.so", "liblsan.so",
    "linux-vdso", "linux-gate",
};

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static _Atomic int64_t g_patched_slots;

/* One loaded object, as dl_iterate_phdr reported it. */
typedef struct loaded {
    struct dl_phdr_info info;
    const ElfW(Dyn) *dyn;
    const char *strtab;
    const char *soname;   /* DT_SONAME, else the file's base name; "" for the executable */
    int wanted;           /* to patch: the root or a dependency of a patched object */
} loaded;

typedef struct object_list {
    loaded *items;
    int count, cap;
} object_list;

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

static const char *dyn_str(const loaded *o, ElfW(Addr) offset)
{
    return o->strtab ? o->strtab + offset : "";
}

static int collect(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    object_list *list = arg;
    if (list->count == list->cap) {
        int cap = list->cap ? list->cap * 2 : 64;
        loaded *grown = realloc(list->items, (size_t)cap * sizeof *grown);
        if (!grown)
            return 1;   /* stop: the caller sees fewer objects and reports -ENOMEM */
        list->items = grown;
        list->cap = cap;
    }
    loaded *o = &list->items[list->count++];
    memset(o, 0, sizeof *o);
    o->info = *info;
    for (int i = 0; i < info->dlpi_phnum; i++)
        if (info->dlpi_phdr[i].p_type == PT_DYNAMIC)
            o->dyn = (const ElfW(Dyn) *)(info->dlpi_addr + info->dlpi_phdr[i].p_vaddr);
    ElfW(Addr) soname = 0;
    int has_soname = 0;
    for (const ElfW(Dyn) *d = o->dyn; d && d->d_tag != DT_NULL; d++) {
        if (d->d_tag == DT_STRTAB)   /* relocated by glibc; an offset under other loaders */
            o->strtab = (const char *)(d->d_un.d_ptr < info->dlpi_addr
                                           ? info->dlpi_addr + d->d_un.d_ptr : d->d_un.d_ptr);
        else if (d->d_tag == DT_SONAME) {
            soname = d->d_un.d_val;
            has_soname = 1;
        }
    }
    const char *name = info->dlpi_name ? info->dlpi_name : "";
    o->soname = has_soname && o->strtab ? o->strtab + soname : base_name(name);
    return 0;
}

static int excluded(const loaded *o)
{
    static char self_marker;
    Dl_info self;
    if (!o->dyn || !o->soname[0] || !o->info.dlpi_name || !o->info.dlpi_name[0])
        return 1;   /* the executable (the dotnet host) or the vDSO */
    if (dladdr(&self_marker, &self) && (ElfW(Addr))self.dli_fbase == o->info.dlpi_addr)
        return 1;
    const char *file = base_name(o->info.dlpi_name);
    for (size_t i = 0; i < sizeof never_patched / sizeof never_patched[0]; i++) {
        size_t n = strlen(never_patched[i]);
        if (strncmp(o->soname, never_patched[i], n) == 0 || strncmp(file, never_patched[i], n) == 0)
            return 1;
    }
    return 0;
}

static loaded *find_by_name(object_list *list, const char *needed)
{
    for (int i = 0; i < list->count; i++) {
        loaded *o = &list->items[i];
        if (strcmp(o->soname, needed) == 0 ||
            (o->info.dlpi_name && strcmp(base_name(o->info.dlpi_name), needed) == 0))
            return o;
    }
    return NULL;
}

/* Mark o and, transitively, what it needs; excluded objects end the walk there. */
static void mark(object_list *list, loaded *o)
{
    if (o->wanted || excluded(o))
        return;
    o->wanted = 1;
    for (const ElfW(Dyn) *d = o->dyn; d->d_tag != DT_NULL; d++) {
        if (d->d_tag != DT_NEEDED)
            continue;
        loaded *dep = find_by_name(list, dyn_str(o, d->d_un.d_val));
        if (dep)
            mark(list, dep);
    }
}

int thredo_hook_library(void *handle)
{
    if (!handle)
        return -EINVAL;
    struct link_map *lm = NULL;
    if (dlinfo(handle, RTLD_DI_LINKMAP, &lm) != 0 || !lm)
        return -ENOENT;
    pthread_mutex_lock(&g_lock);
    object_list list = { 0 };
    int rc = 0;
    if (dl_iterate_phdr(collect, &list) != 0)
        rc = -ENOMEM;
    loaded *root = NULL;
    for (int i = 0; rc == 0 && i < list.count; i++)
        if (list.items[i].dyn == (const ElfW(Dyn) *)lm->l_ld)
            root = &list.items[i];
    if (rc == 0 && !root)
        rc = -ENOENT;
    if (rc == 0)
        mark(&list, root);
    int patched = 0;
    for (int i = 0; rc == 0 && i < list.count; i++) {
        if (!list.items[i].wanted)
            continue;
        int n = got_patch_object(&list.items[i].info, hook_table,
                                 sizeof hook_table / sizeof hook_table[0]);
        if (n < 0) {
            rc = n;
            break;
        }
        atomic_fetch_add(&g_patched_slots, n);
        patched++;
    }
    free(list.items);
    pthread_mutex_unlock(&g_lock);
    if (rc < 0)
        return rc;
    /* The root itself may be excluded (thredo_hook_library on libc): nothing patched. */
    return patched;
}

int64_t thredo_hook_patched_slots(void)
{
    return atomic_load(&g_patched_slots);
}

/* dlopen from a patched library: load, then patch what came in (idempotent, so an
 * object loaded before is untouched). A patch failure leaves that object unhooked; the
 * load itself succeeded, so the caller still gets its handle. */
void *thredo_hook_dlopen(const char *file, int mode)
{
    void *handle = dlopen(file, mode);
    if (handle && !(mode & RTLD_NOLOAD))
        (void)thredo_hook_library(handle);
    return handle;
}
