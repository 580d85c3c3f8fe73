/*
 * c_library_stack_depth: how much native-fiber stack an unmodified C library touches, to size
 * FiberOptions.NativeStackSizeBytes. Runs one libcurl transfer (curl URL) or one libpq session
 * (pq CONNINFO: connect, a query, finish) on a hooked native fiber of a 4 MiB stack, served by
 * the test mini kernel, then asks mincore(2) which pages of that stack were ever touched:
 * fiber stacks are committed lazily, so the lowest resident page is the high-water mark.
 *   c_library_stack_depth curl https://127.0.0.1:8443/   (CURL_CAINFO=ca.pem: verify the peer too)
 *   c_library_stack_depth pq "host=/tmp/dir dbname=postgres user=postgres"
 */
#include "mini_kernel.h"

#include <dlfcn.h>
#include <sys/mman.h>

#define STACK (4u << 20)

static const char *g_what, *g_target;
static void *g_lib;
static long g_depth;

static void *sym(const char *name)
{
    void *p = dlsym(g_lib, name);
    if (!p) {
        fprintf(stderr, "%s: %s\n", name, dlerror());
        exit(1);
    }
    return p;
}

/* Bytes between the top of the mapping holding `inside` (this fiber's stack) and its lowest
 * page ever touched. */
static long touched_depth(const void *inside)
{
    uintptr_t lo = 0, hi = 0, a, b, at = (uintptr_t)inside;
    FILE *maps = fopen("/proc/self/maps", "r");
    char line[512];
    while (maps && fgets(line, sizeof line, maps))
        if (sscanf(line, "%lx-%lx", &a, &b) == 2 && a <= at && at < b) {
            lo = a;
            hi = b;
        }
    if (maps)
        fclose(maps);
    CHECK(hi > lo);
    long page = sysconf(_SC_PAGESIZE);
    size_t pages = (hi - lo) / (size_t)page;
    unsigned char *vec = calloc(pages, 1);
    CHECK(vec && mincore((void *)lo, hi - lo, vec) == 0);
    size_t lowest = pages;
    for (size_t i = 0; i < pages && lowest == pages; i++)
        if (vec[i] & 1)
            lowest = i;
    free(vec);
    return (long)(hi - (lo + lowest * (size_t)page));
}

static intptr_t run(intptr_t unused)
{
    (void)unused;
    char top;
    if (strcmp(g_what, "curl") == 0) {
        void *(*init)(void) = sym("curl_easy_init");
        int (*setopt)(void *, int, ...) = sym("curl_easy_setopt");
        int (*perform)(void *) = sym("curl_easy_perform");
        void (*cleanup)(void *) = sym("curl_easy_cleanup");
        void *h = init();
        setopt(h, 10002 /* URL */, g_target);
        setopt(h, 99 /* NOSIGNAL */, 1L);
        const char *ca = getenv("CURL_CAINFO");   /* set: verify the server against this CA file */
        if (ca)
            setopt(h, 10065 /* CAINFO */, ca);
        setopt(h, 64 /* SSL_VERIFYPEER */, ca ? 1L : 0L);
        setopt(h, 81 /* SSL_VERIFYHOST */, ca ? 2L : 0L);
        FILE *sink = fopen("/dev/null", "w");
        setopt(h, 10001 /* WRITEDATA */, sink);
        int rc = perform(h);
        fclose(sink);
        cleanup(h);
        if (rc != 0) {
            fprintf(stderr, "curl_easy_perform: CURLcode %d\n", rc);
            exit(1);
        }
    } else {
        void *(*connectdb)(const char *) = sym("PQconnectdb");
        int (*status)(void *) = sym("PQstatus");
        void *(*exec)(void *, const char *) = sym("PQexec");
        int (*result_status)(void *) = sym("PQresultStatus");
        void (*clear)(void *) = sym("PQclear");
        void (*finish)(void *) = sym("PQfinish");
        void *conn = connectdb(g_target);
        CHECK(status(conn) == 0);
        void *res = exec(conn, "SELECT count(*) FROM pg_class");
        CHECK(result_status(res) == 2);
        clear(res);
        finish(conn);
    }
    g_depth = touched_depth(&top);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 3 || (strcmp(argv[1], "curl") && strcmp(argv[1], "pq"))) {
        fprintf(stderr, "usage: %s curl URL | pq CONNINFO\n", argv[0]);
        return 2;
    }
    g_what = argv[1];
    g_target = argv[2];
    g_lib = dlopen(strcmp(g_what, "curl") == 0 ? "libcurl.so.4" : "libpq.so.5", RTLD_NOW);
    if (!g_lib) {
        fprintf(stderr, "%s\n", dlerror());
        return 1;
    }
    CHECK(thredo_hook_library(g_lib) >= 1);
    if (strcmp(g_what, "curl") == 0) {
        int (*global_init)(long) = sym("curl_global_init");
        CHECK(global_init(3) == 0);
    }
    mini_kernel k;
    mk_init(&k);
    mk_spawn(&k, run, 0, STACK, 1);
    mk_run(&k);
    mk_destroy(&k);
    printf("%s %s: %ld bytes of native-fiber stack touched (%ld KiB)\n", g_what, g_target, g_depth, g_depth / 1024);
    return 0;
}
